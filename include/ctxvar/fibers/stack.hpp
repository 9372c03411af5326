// ctxvar::fibers::StackAllocator and PooledStackAllocator: where greenlet stacks come from. The
// default is a per-thread pool of guarded stacks, so creating and finishing a greenlet is cheap.
#pragma once

#include <boost/context/stack_context.hpp>

#include <concepts>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace ctxvar::fibers {

// The stack a greenlet gets unless told otherwise: 256 KiB of address space, of which only the
// pages a greenlet touches take memory (the kernel commits them on first use), plus one guard
// page below it. Enough for a server handler's usual depth (a few hundred frames of ordinary
// size); a greenlet that needs more asks for a bigger stack.
inline constexpr std::size_t default_stack_size = 256 * 1024;

// A Boost.Context stack allocator: allocate() returns a boost::context::stack_context whose sp
// is the top (highest address) of a usable region of `size` bytes; deallocate(sc) gives it back.
// protected_fixedsize_stack, fixedsize_stack and pooled_fixedsize_stack all are.
template <class A>
concept BoostStackAllocator = std::move_constructible<A> &&
    requires(A a, boost::context::stack_context sc) {
    { a.allocate() } -> std::same_as<boost::context::stack_context>;
    a.deallocate(sc);
};

namespace detail {
class StackCache;
}

// Guarded stacks of one size, kept for reuse when a greenlet finishes: each is mmap()ed with a
// PROT_NONE page below it, so an overflow faults (SIGSEGV) instead of writing over other memory.
// Handles share one pool; any thread may allocate and deallocate (a mutex guards the cache). At
// most `max_cached` free stacks are kept; the rest are unmapped at once.
class PooledStackAllocator {
  public:
    explicit PooledStackAllocator(std::size_t stack_size = default_stack_size,
                                  std::size_t max_cached = 64);

    // Throws std::bad_alloc when the kernel refuses the mapping.
    boost::context::stack_context allocate();
    void deallocate(boost::context::stack_context& stack) noexcept;

    std::size_t stack_size() const noexcept;
    std::size_t cached() const noexcept; // free stacks in the pool now

  private:
    struct Shared;
    std::shared_ptr<Shared> shared_;
};

// The stack allocator a greenlet keeps until it finishes: a type-erased handle to any
// BoostStackAllocator (held by value, shared by the greenlets created with this handle), or the
// default. The default uses the calling thread's own pool of default_stack_size guarded stacks,
// with no lock; a greenlet's stack is always freed on the thread that created it.
class StackAllocator {
  public:
    // The calling thread's pool (default_stack_size, guard page, up to 64 kept for reuse).
    StackAllocator() noexcept = default;

    template <BoostStackAllocator A>
    requires(!std::same_as<std::remove_cvref_t<A>, StackAllocator>)
        StackAllocator(A allocator) // NOLINT(google-explicit-constructor): any allocator converts
        : impl_(std::make_shared<Model<A>>(std::move(allocator))) {}

    boost::context::stack_context allocate();
    void deallocate(boost::context::stack_context& stack) noexcept;

  private:
    struct Concept {
        virtual ~Concept() = default;
        virtual boost::context::stack_context allocate() = 0;
        virtual void deallocate(boost::context::stack_context& stack) noexcept = 0;
    };
    template <class A>
    struct Model final : Concept {
        explicit Model(A a) : allocator(std::move(a)) {}
        boost::context::stack_context allocate() override { return allocator.allocate(); }
        void deallocate(boost::context::stack_context& stack) noexcept override {
            allocator.deallocate(stack);
        }
        A allocator;
    };

    std::shared_ptr<Concept> impl_; // null: the thread's pool
};

} // namespace ctxvar::fibers
