// A bounded per-thread free list of context-object storage. Storage freed on another thread
// than the one that allocated it joins the freeing thread's list, and the bound keeps a thread
// that only frees from hoarding. Under AddressSanitizer, pooled storage is poisoned, so a use
// of a freed context object is still reported.
#include "context_pool.hpp"

#include <ctxvar/detail/context_data.hpp>

#include <new>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define CTXVAR_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define CTXVAR_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define CTXVAR_POISON(p, n) ((void)(p), (void)(n))
#define CTXVAR_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace ctxvar::detail {
namespace {

constexpr unsigned pool_capacity = 64;

struct FreeBlock {
    FreeBlock* next;
};
static_assert(sizeof(FreeBlock) <= sizeof(ContextData));

struct Pool {
    FreeBlock* head = nullptr;
    unsigned size = 0;
};
[[gnu::tls_model("initial-exec")]] constinit thread_local Pool pool;

} // namespace

void* allocate_context_memory() {
    if (FreeBlock* block = pool.head) {
        CTXVAR_UNPOISON(block, sizeof(ContextData));
        pool.head = block->next;
        --pool.size;
        return block;
    }
    return ::operator new(sizeof(ContextData));
}

void free_context_memory(void* memory) noexcept {
    if (pool.size == pool_capacity) {
        ::operator delete(memory, sizeof(ContextData));
        return;
    }
    if (pool.head == nullptr && !current_slot()->release_registered) {
        arm_release_at_thread_exit(); // the thread-exit hook drains the pool too
    }
    auto* block = ::new (memory) FreeBlock{pool.head};
    CTXVAR_POISON(reinterpret_cast<char*>(block) + sizeof(FreeBlock),
                  sizeof(ContextData) - sizeof(FreeBlock));
    pool.head = block;
    ++pool.size;
}

void drain_context_pool() noexcept {
    while (FreeBlock* block = pool.head) {
        pool.head = block->next;
        CTXVAR_UNPOISON(block, sizeof(ContextData));
        ::operator delete(block, sizeof(ContextData));
    }
    pool.size = 0;
}

} // namespace ctxvar::detail
