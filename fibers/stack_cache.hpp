// ctxvar::fibers::detail::StackCache: guarded stacks of one size, mapped with mmap and kept for
// reuse. Not synchronised: PooledStackAllocator locks around it, a thread's own cache needs none.
#pragma once

#include <boost/context/stack_context.hpp>

#include <cstddef>
#include <vector>

namespace ctxvar::fibers::detail {

class StackCache {
  public:
    StackCache(std::size_t stack_size, std::size_t max_cached);
    ~StackCache();
    StackCache(const StackCache&) = delete;
    StackCache& operator=(const StackCache&) = delete;

    // A stack of stack_size() usable bytes above one PROT_NONE guard page: a cached one, or a
    // new mapping (std::bad_alloc when the kernel refuses).
    boost::context::stack_context take();
    // Keeps the stack for reuse, or unmaps it when max_cached are kept already.
    void give(boost::context::stack_context& stack) noexcept;

    std::size_t stack_size() const noexcept { return usable_; }
    std::size_t cached() const noexcept { return free_.size(); }

  private:
    std::size_t usable_;  // rounded up to whole pages
    std::size_t mapping_; // usable_ + the guard page
    std::size_t max_cached_;
    std::vector<void*> free_; // the mappings' base addresses (the guard page)
};

} // namespace ctxvar::fibers::detail
