// ctxvar::fibers::use_context_scheduler and make_fiber: every Boost.Fiber fiber carries its own
// current context, on any scheduling algorithm, across threads.
#pragma once

#include <ctxvar/context.hpp>
#include <ctxvar/fibers/detail/fiber_switch.hpp>
#include <ctxvar/switch.hpp>
#include <ctxvar/thread.hpp>

#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/algo/round_robin.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/fixedsize_stack.hpp>
#include <boost/fiber/policy.hpp>
#include <boost/fiber/properties.hpp>
#include <boost/fiber/scheduler.hpp>
#include <boost/intrusive_ptr.hpp>

#include <chrono>
#include <concepts>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

namespace ctxvar::fibers {

// What the context-aware scheduler keeps for each fiber (Boost.Fiber's per-fiber properties
// slot): the fiber's context while it is not running, and its greenlet runtime. With a plain
// algorithm (round_robin, shared_work, work_stealing, ...) the slot is ctxvar's. An algorithm
// built on boost::fibers::algo::algorithm_with_properties<P> keeps working when P derives from
// ContextProperties (its constructor takes the fiber's boost::fibers::context*, as Boost's
// properties do): the fiber's properties are then the user's P, and ctxvar's part rides along.
class ContextProperties : public boost::fibers::fiber_properties {
  public:
    explicit ContextProperties(boost::fibers::context* ctx) noexcept : fiber_properties(ctx) {}

  private:
    friend class detail::FiberSwitch;
    SavedContext saved_;                       // empty while the fiber runs (the slot has it)
    detail::ThreadState* greenlets_ = nullptr; // its greenlet runtime, if it used greenlets
};

namespace detail {

inline void FiberSwitch::picked(boost::fibers::context* next) noexcept {
    boost::fibers::context* from = installed_;
    if (next == nullptr) [[unlikely]] {
        // Nothing ready: a fiber that suspends goes to the dispatcher; the dispatcher itself
        // waits where it is.
        if (from == dispatcher_ || dispatcher_ == nullptr) {
            return;
        }
        next = dispatcher_;
    }
    if (next == from) [[unlikely]] {
        return;
    }
    auto* leaving = static_cast<ContextProperties*>(from->get_properties());
    auto& entering = *static_cast<ContextProperties*>(next->get_properties());
    if (leaving == nullptr || from->*terminated_ || greenlets_installed_ ||
        entering.greenlets_ != nullptr) [[unlikely]] {
        hand_over(from, next);
        return;
    }
    leaving->saved_ = switch_context(std::move(entering.saved_));
    installed_ = next;
}

template <class P>
P properties_type_of(const boost::fibers::algo::algorithm_with_properties<P>*);

template <class Algo>
concept algorithm_with_properties =
    std::derived_from<Algo, boost::fibers::algo::algorithm_with_properties_base>;

template <class Algo>
using properties_of = decltype(properties_type_of(static_cast<const Algo*>(nullptr)));

} // namespace detail

// Boost.Fiber scheduling algorithm `Algo` with ctxvar's hand-over around it: Algo decides which
// fiber runs; this switches the thread's current context (ctxvar::switch_context) to that
// fiber's, and the greenlet runtime with it. Install it with use_context_scheduler<Algo>().
template <class Algo, bool = detail::algorithm_with_properties<Algo>>
class ContextScheduler;

namespace detail {

// Algo with the hand-over on its picks and notifications; awakened() is the subclasses' (it
// differs with and without properties).
template <class Algo>
class HandOverAround : public Algo, public FiberSwitch {
  public:
    template <class... Args>
    explicit HandOverAround(Args&&... args) : Algo(std::forward<Args>(args)...) {}

    boost::fibers::context* pick_next() noexcept override {
        boost::fibers::context* next = Algo::pick_next();
        picked(next);
        return next;
    }
    void notify() noexcept override {
        notified();
        Algo::notify();
    }
};

} // namespace detail

template <class Algo>
class ContextScheduler<Algo, false> final : public detail::HandOverAround<Algo> {
    static_assert(std::derived_from<Algo, boost::fibers::algo::algorithm>,
                  "ctxvar::fibers::ContextScheduler wraps a Boost.Fiber scheduling algorithm");

  public:
    using detail::HandOverAround<Algo>::HandOverAround;

    void awakened(boost::fibers::context* ctx) noexcept override {
        detail::FiberSwitch::awakened(ctx);
        Algo::awakened(ctx);
    }
};

template <class Algo>
class ContextScheduler<Algo, true> final : public detail::HandOverAround<Algo> {
    using Properties = detail::properties_of<Algo>;
    static_assert(std::derived_from<Properties, ContextProperties>,
                  "with ctxvar::fibers::ContextScheduler, an algorithm_with_properties<P> needs "
                  "P to derive from ctxvar::fibers::ContextProperties");

  public:
    using detail::HandOverAround<Algo>::HandOverAround;

    // algorithm_with_properties::awakened(ctx) is final: it makes the properties through
    // new_properties (below), then calls this.
    void awakened(boost::fibers::context* ctx, Properties& properties) noexcept override {
        detail::FiberSwitch::awakened(ctx);
        Algo::awakened(ctx, properties);
    }

    boost::fibers::fiber_properties* new_properties(boost::fibers::context* ctx) override {
        ContextProperties* properties = properties_for(ctx);
        this->start(ctx, *properties);
        return properties;
    }
    ContextProperties* properties_for(boost::fibers::context* ctx) override {
        return static_cast<Properties*>(Algo::new_properties(ctx));
    }
};

// round_robin, the algorithm Boost installs by default, with its ready queue here rather than in
// libboost_fiber: the same first-in first-out order and the same idle wait, with the hand-over
// inlined into pick_next and awakened (two calls into the shared library less per switch).
template <>
class ContextScheduler<boost::fibers::algo::round_robin, false> final
    : public boost::fibers::algo::algorithm,
      public detail::FiberSwitch {
    using time_point = std::chrono::steady_clock::time_point;

  public:
    void awakened(boost::fibers::context* ctx) noexcept override {
        FiberSwitch::awakened(ctx);
        ctx->ready_link(ready_);
    }
    boost::fibers::context* pick_next() noexcept override {
        boost::fibers::context* next = nullptr;
        if (!ready_.empty()) {
            next = &ready_.front();
            ready_.pop_front();
        }
        picked(next);
        return next;
    }
    bool has_ready_fibers() const noexcept override { return !ready_.empty(); }
    void suspend_until(const time_point& until) noexcept override {
        std::unique_lock lock(mutex_);
        if (until == (time_point::max)()) {
            woken_.wait(lock, [this] { return notified_; });
        } else {
            woken_.wait_until(lock, until, [this] { return notified_; });
        }
        notified_ = false;
    }
    void notify() noexcept override {
        notified();
        std::lock_guard lock(mutex_);
        notified_ = true;
        woken_.notify_all();
    }

  private:
    boost::fibers::scheduler::ready_queue_type ready_;
    std::mutex mutex_;
    std::condition_variable woken_;
    bool notified_ = false;
};

// Makes the calling thread's Boost.Fiber scheduler context-aware around a new Algo(args...)
// (replacing the thread's algorithm, as boost::fibers::use_scheduling_algorithm<Algo> does). Call
// it once per thread, before the thread runs fibers, on every thread that runs them (each thread
// of a shared_work or work_stealing pool, e.g. with work_stealing(n, true) so that idle threads
// sleep). From then on:
//
// - Each fiber on the thread has its own current context. The scheduler hands it over on every
//   switch (yield, sleep, mutex, condition variable, barrier, channels, futures, join: every
//   switch goes through the algorithm), and a fiber that another thread steals takes its context
//   along.
// - A new fiber starts in a copy of the context current where it is created (asyncio's Task,
//   folly's fibers), whether made by boost::fibers::fiber or by make_fiber (below), under
//   launch::post and launch::dispatch alike. The copy is of the creator's context as it is at
//   the creation: under post it is taken in the creator's flow, when Boost schedules the new
//   fiber; under dispatch Boost jumps to the new fiber without asking the algorithm, and the copy
//   is taken at the algorithm's first call after the jump, before any of the new fiber's code
//   runs, while the creator still waits inside the constructor (make_fiber takes it in the
//   creator's flow in both cases). Sets made in a fiber are invisible to its creator, and
//   vice versa after the creation.
// - The thread's main context and Boost's dispatcher fiber keep their own contexts; the main
//   context gets its own back when the thread's scheduler shuts down.
// - A fiber that finishes releases its context at once: a make_fiber fiber at the end of its
//   function, on its own stack; a boost::fibers::fiber at its last switch, inside the scheduler.
//   There, the values' destructors must not block on Boost.Fiber primitives (the values of a
//   make_fiber fiber have no such limit).
// - Greenlets used inside a fiber belong to that fiber (their switches nest inside it): the
//   fiber has its own greenlet runtime, which moves with it between threads and kills its
//   unfinished greenlets when the fiber finishes. A greenlet of one fiber cannot be switched to
//   from another (GreenletError "cannot switch to a different thread").
//
// A thread without this scheduler (a plain use_scheduling_algorithm, or none): its fibers all
// share the thread's one current context, as any code on the thread does; ContextVar accesses
// stay safe (no data race, no dangling), just not per fiber. A fiber that a shared_work or
// work_stealing pool moves onto such a thread sees that thread's context while it runs there,
// and finds its own again on a thread that has the scheduler. So give every thread of a pool
// the context scheduler.
//
// Throws std::logic_error when the thread already has a context scheduler, and what Algo's
// constructor or an allocation throws; the thread's scheduling is then unchanged. Replacing the
// algorithm afterwards (boost::fibers::use_scheduling_algorithm on this thread) is not
// supported: Boost drains the old algorithm with picks that do not switch.
//
// An allocation failure while giving a boost::fibers::fiber its properties or its copy terminates
// (it happens inside Boost's noexcept scheduling calls, as Boost's own properties do); make_fiber
// allocates both in the creator's flow, where the failure throws.
template <class Algo, class... Args>
void use_context_scheduler(Args&&... args) {
    detail::FiberSwitch::check_none_yet(); // before Algo's constructor registers anything
    boost::intrusive_ptr<boost::fibers::algo::algorithm> algorithm(
        new ContextScheduler<Algo>(std::forward<Args>(args)...));
    boost::fibers::context::active()->get_scheduler()->set_algo(std::move(algorithm));
}

// Tag: a make_fiber fiber starts in a copy of the creator's context (the default of every fiber).
struct InheritContext {
    explicit InheritContext() = default;
};
inline constexpr InheritContext inherit_context{};

// How a make_fiber fiber starts: ctxvar::fibers::inherit_context (a copy, taken when the
// FiberStart is made), ctxvar::empty_context (a new, empty context, created at its first set), or
// a Context, which is entered for the fiber's whole life (as asyncio's Task(context=) runs in it):
// the entry is taken here, in the creator, so an already-entered context throws
// ContextEnteredError to the creator (nothing is created), and the context can be entered again
// once the fiber's function has returned.
class FiberStart {
  public:
    FiberStart(InheritContext) : saved_(SavedContext::copy_of_current()) {}
    FiberStart(EmptyContext) noexcept {}
    FiberStart(const Context& context) : entry_(context), saved_(entry_.saved()) {}

  private:
    template <class StackAllocator, class Fn, class... Args>
    friend boost::fibers::fiber make_fiber(boost::fibers::launch, FiberStart, std::allocator_arg_t,
                                           StackAllocator&&, Fn&&, Args&&...);
    ContextEntry entry_;
    SavedContext saved_;
};

namespace detail {

// Drops the running fiber's context (its values' destructors run here, on the fiber's stack).
void release_running_context() noexcept;

// A make_fiber fiber's function: runs fn, then releases the fiber's context and its entry.
template <class Fn>
struct FiberBody {
    ContextEntry entry;
    Fn fn;

    template <class... Args>
    void operator()(Args&&... args) {
        struct ReleaseAtEnd {
            ~ReleaseAtEnd() { release_running_context(); }
        } release_at_end;
        std::invoke(std::move(fn), std::forward<Args>(args)...);
    }
};

// The calling thread's context scheduler; std::logic_error when it has none.
FiberSwitch& required_fiber_switch();

} // namespace detail

// A boost::fibers::fiber that starts as `start` says, with the context scheduler's properties
// prepared in the creator's flow. Its context is released when `fn` returns, on the fiber's own
// stack. The calling thread must have the context scheduler (std::logic_error otherwise; nothing
// is created). The other arguments are boost::fibers::fiber's; the overloads without a stack
// allocator use boost::fibers::default_stack, and the one without a policy launch::post.
template <class StackAllocator, class Fn, class... Args>
boost::fibers::fiber make_fiber(boost::fibers::launch policy, FiberStart start,
                                std::allocator_arg_t, StackAllocator&& stack_allocator, Fn&& fn,
                                Args&&... args) {
    detail::FiberSwitch& fiber_switch = detail::required_fiber_switch();
    std::unique_ptr<ContextProperties> properties(fiber_switch.properties_for(nullptr));
    detail::FiberSwitch::give(*properties, std::move(start.saved_));
    detail::FiberBody<std::decay_t<Fn>> body{std::move(start.entry_), std::forward<Fn>(fn)};
    boost::fibers::fiber_properties* attribute = properties.get();
    boost::fibers::fiber fiber(policy, attribute, std::allocator_arg,
                               std::forward<StackAllocator>(stack_allocator), std::move(body),
                               std::forward<Args>(args)...);
    properties.release(); // the fiber's context object owns them now
    return fiber;
}

template <class Fn, class... Args>
boost::fibers::fiber make_fiber(boost::fibers::launch policy, FiberStart start, Fn&& fn,
                                Args&&... args) {
    return make_fiber(policy, std::move(start), std::allocator_arg, boost::fibers::default_stack(),
                      std::forward<Fn>(fn), std::forward<Args>(args)...);
}

template <class Fn, class... Args>
boost::fibers::fiber make_fiber(FiberStart start, Fn&& fn, Args&&... args) {
    return make_fiber(boost::fibers::launch::post, std::move(start), std::forward<Fn>(fn),
                      std::forward<Args>(args)...);
}

} // namespace ctxvar::fibers
