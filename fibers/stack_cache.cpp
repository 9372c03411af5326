// Guarded stack mappings and their reuse, for the default and the pooled stack allocators.
#include "stack_cache.hpp"

#include "sanitizers.hpp"
#include "thread_state.hpp"

#include <ctxvar/fibers/stack.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <mutex>
#include <new>

namespace ctxvar::fibers {
namespace detail {
namespace {

std::size_t page_size() noexcept {
    static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return size;
}

std::size_t round_to_pages(std::size_t bytes) noexcept {
    const std::size_t page = page_size();
    return (bytes + page - 1) / page * page;
}

} // namespace

StackCache::StackCache(std::size_t stack_size, std::size_t max_cached)
    : usable_(round_to_pages(stack_size == 0 ? 1 : stack_size)), mapping_(usable_ + page_size()),
      max_cached_(max_cached) {
    free_.reserve(max_cached_); // so that give() never allocates
}

StackCache::~StackCache() {
    for (void* base : free_) {
        ::munmap(base, mapping_);
    }
}

boost::context::stack_context StackCache::take() {
    void* base;
    if (!free_.empty()) {
        base = free_.back();
        free_.pop_back();
    } else {
        // MAP_NORESERVE: only the pages a greenlet touches take memory.
        base = ::mmap(nullptr, mapping_, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (base == MAP_FAILED) {
            throw std::bad_alloc();
        }
        if (::mprotect(base, page_size(), PROT_NONE) != 0) { // the guard page, below the stack
            ::munmap(base, mapping_);
            throw std::bad_alloc();
        }
    }
    boost::context::stack_context stack;
    stack.sp = static_cast<char*>(base) + mapping_;
    stack.size = usable_;
    return stack;
}

void StackCache::give(boost::context::stack_context& stack) noexcept {
    void* bottom = static_cast<char*>(stack.sp) - usable_;
    void* base = static_cast<char*>(stack.sp) - mapping_;
    asan_forget_stack(bottom, usable_);
    if (free_.size() < max_cached_) {
        free_.push_back(base);
    } else {
        ::munmap(base, mapping_);
    }
    stack = {};
}

} // namespace detail

struct PooledStackAllocator::Shared {
    Shared(std::size_t size, std::size_t max) : cache(size, max) {}
    mutable std::mutex mutex;
    detail::StackCache cache;
};

PooledStackAllocator::PooledStackAllocator(std::size_t stack_size, std::size_t max_cached)
    : shared_(std::make_shared<Shared>(stack_size, max_cached)) {}

boost::context::stack_context PooledStackAllocator::allocate() {
    std::lock_guard lock(shared_->mutex);
    return shared_->cache.take();
}

void PooledStackAllocator::deallocate(boost::context::stack_context& stack) noexcept {
    std::lock_guard lock(shared_->mutex);
    shared_->cache.give(stack);
}

std::size_t PooledStackAllocator::stack_size() const noexcept {
    return shared_->cache.stack_size();
}

std::size_t PooledStackAllocator::cached() const noexcept {
    std::lock_guard lock(shared_->mutex);
    return shared_->cache.cached();
}

boost::context::stack_context StackAllocator::allocate() {
    return impl_ ? impl_->allocate() : detail::ThreadState::get().stacks.take();
}

void StackAllocator::deallocate(boost::context::stack_context& stack) noexcept {
    if (impl_) {
        impl_->deallocate(stack);
    } else {
        // A greenlet's stack goes back on the thread that gave it (its own thread).
        detail::ThreadState::find()->stacks.give(stack);
    }
}

} // namespace ctxvar::fibers
