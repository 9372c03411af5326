// A bounded per-thread free list of context-object storage. Storage freed on another thread
// than the one that allocated it joins the freeing thread's list, and the bound keeps a thread
// that only frees from hoarding. Under AddressSanitizer there is no pool: every context object
// is a fresh allocation, so ASan sees each use after free (a pool would recycle the memory).
#include "context_pool.hpp"

#include <ctxvar/detail/context_data.hpp>

#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define CTXVAR_CONTEXT_POOL 0
#else
#define CTXVAR_CONTEXT_POOL 1
#endif

namespace ctxvar::detail {
namespace {

constexpr unsigned pool_capacity = CTXVAR_CONTEXT_POOL ? 64 : 0;

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
    if (pool.head == nullptr) {
        ensure_release_at_thread_exit(current_slot()); // the thread-exit hook drains the pool
    }
    pool.head = ::new (memory) FreeBlock{pool.head};
    ++pool.size;
}

void drain_context_pool() noexcept {
    while (FreeBlock* block = pool.head) {
        pool.head = block->next;
        ::operator delete(block, sizeof(ContextData));
    }
    pool.size = 0;
}

} // namespace ctxvar::detail
