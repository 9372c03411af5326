// The non-template half of ctxvar::fibers::ContextScheduler: one per thread, it knows which
// Boost.Fiber context's ctxvar context (and greenlet runtime) this thread's slot holds, and hands
// them over when the scheduler picks another fiber. Defined in the ctxvar-fibers library.
#pragma once

#include <ctxvar/switch.hpp>

#include <boost/fiber/context.hpp>
#include <boost/fiber/properties.hpp>

namespace ctxvar::fibers {

class ContextProperties;

namespace detail {

struct ThreadState;

class FiberSwitch {
  public:
    // Registers this object as the calling thread's, which must have none (check_none_yet).
    FiberSwitch();

    // Throws std::logic_error when the calling thread already has a context scheduler (a second
    // one would see picks that its thread never runs).
    static void check_none_yet();
    FiberSwitch(const FiberSwitch&) = delete;
    FiberSwitch& operator=(const FiberSwitch&) = delete;

    // The calling thread's, or nullptr when it has no context scheduler.
    static FiberSwitch* of_this_thread() noexcept;

    // Before the wrapped algorithm hears of `ctx`. A fiber seen here for the first time is a new
    // one scheduled by its creator (launch::post), which is running: it gets its properties and
    // a copy of the creator's context. `ctx` being the fiber whose context the slot holds means
    // control passed to another fiber without a pick (launch::dispatch): catch up first.
    void awakened(boost::fibers::context* ctx) {
        if (ctx == installed_) [[unlikely]] {
            catch_up();
        }
        if (ctx->get_properties() == nullptr) [[unlikely]] {
            first_sight(ctx);
        }
    }

    // After the wrapped algorithm picked `next` (nullptr: nothing ready), just before Boost
    // resumes it: the switch itself. No allocation, no reference count changes; a fiber that has
    // finished drops its context here. Inline (scheduler.hpp): it is on every switch.
    inline void picked(boost::fibers::context* next) noexcept;

    // A greenlet runtime was just made current on this thread (greenlets inside fibers).
    void greenlets_installed() noexcept { greenlets_installed_ = true; }

    // Boost's dispatcher calls notify() right before it hands control back to the thread's main
    // context at shutdown, without a pick: give the main context its own back. Other threads
    // call notify() too; those calls change nothing.
    void notified() noexcept;

    // New properties of the wrapped algorithm's type, for `ctx` (nullptr: for a fiber that does
    // not exist yet, which make_fiber hands to boost::fibers::fiber's constructor). By default a
    // plain ContextProperties; an algorithm with properties of its own makes its P.
    virtual ContextProperties* properties_for(boost::fibers::context* ctx);

    // The context a fiber made by make_fiber starts in.
    static void give(ContextProperties& properties, SavedContext start) noexcept;

    // Whether the flow running now is a Boost.Fiber worker fiber (not the thread's main context).
    bool in_worker_fiber() const noexcept {
        return installed_->is_context(boost::fibers::type::worker_context);
    }

  protected:
    ~FiberSwitch();

    // Gives a fiber seen for the first time its starting context: a copy of the running fiber's
    // for a new worker fiber while its creator runs, none for the main and dispatcher contexts.
    void start(boost::fibers::context* ctx, ContextProperties& properties);

  private:
    ContextProperties* adopt(boost::fibers::context* ctx);
    void first_sight(boost::fibers::context* ctx);
    void catch_up();
    // The switch's general case: a flow without properties yet, a finished fiber, greenlets.
    void hand_over(boost::fibers::context* from, boost::fibers::context* to) noexcept;

    boost::fibers::context* installed_; // whose context the slot holds
    boost::fibers::context* dispatcher_ = nullptr;
    boost::fibers::context* main_ = nullptr;
    bool boost::fibers::context::*terminated_; // the fiber has finished (fiber_switch.cpp)
    // This thread's greenlet runtime pointer may be non-null: the switch must swap it. False
    // while no fiber here has used greenlets, so the common switch skips that thread-local.
    bool greenlets_installed_;
};

} // namespace detail
} // namespace ctxvar::fibers
