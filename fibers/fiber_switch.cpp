// The context scheduler's hand-over: which fiber's context the thread's slot holds, and the
// switch of context and greenlet runtime when Boost.Fiber picks another fiber.
#include "exception_state.hpp"
#include "thread_state.hpp"

#include <ctxvar/fibers/scheduler.hpp>

#include <stdexcept>

namespace ctxvar::fibers::detail {
namespace {

constinit thread_local FiberSwitch* this_thread_switch = nullptr;

// Whether a fiber has finished. Boost.Fiber keeps the flag private and gives no public sign of
// the end before the fiber's last switch (1.81 links it into the terminated queue after the
// switch), yet that switch is where a finished fiber must let its context go. An explicit
// instantiation may name a private member ([temp.spec.general]): this one hands out a pointer
// to context::terminated_, so a Boost without that member fails to compile rather than misread.
using TerminatedFlag = bool boost::fibers::context::*;
TerminatedFlag terminated_flag() noexcept;

template <TerminatedFlag Flag>
struct ExposeTerminatedFlag {
    friend TerminatedFlag terminated_flag() noexcept { return Flag; }
};
template struct ExposeTerminatedFlag<&boost::fibers::context::terminated_>;

ContextProperties* context_properties(const boost::fibers::context* ctx) noexcept {
    return static_cast<ContextProperties*>(ctx->get_properties());
}

} // namespace

FiberSwitch::FiberSwitch()
    : installed_(boost::fibers::context::active()), terminated_(terminated_flag()),
      greenlets_installed_(this_thread_state != nullptr) {
    check_none_yet();
    if (installed_->is_context(boost::fibers::type::main_context)) {
        main_ = installed_;
    }
    this_thread_switch = this;
}

void FiberSwitch::check_none_yet() {
    if (this_thread_switch != nullptr) {
        throw std::logic_error("ctxvar::fibers::use_context_scheduler: this thread already has a "
                               "context scheduler");
    }
}

FiberSwitch::~FiberSwitch() {
    // A work_stealing algorithm outlives its thread (Boost keeps every one in a static list), so
    // this may run on another thread, where the comparison is false.
    if (this_thread_switch == this) {
        this_thread_switch = nullptr;
    }
}

FiberSwitch* FiberSwitch::of_this_thread() noexcept {
    return this_thread_switch;
}

ContextProperties* FiberSwitch::properties_for(boost::fibers::context* ctx) {
    return new ContextProperties(ctx);
}

void FiberSwitch::give(ContextProperties& properties, SavedContext start) noexcept {
    properties.saved_ = std::move(start);
}

void FiberSwitch::start(boost::fibers::context* ctx, ContextProperties& properties) {
    if (ctx->is_context(boost::fibers::type::dispatcher_context)) {
        dispatcher_ = ctx;
    } else if (ctx->is_context(boost::fibers::type::main_context)) {
        main_ = ctx;
    } else if (ctx != installed_) {
        // A new fiber, while the flow whose context the slot holds is its creator: under
        // launch::post the creator is running; under launch::dispatch (catch_up) it still waits
        // in the fiber's constructor, its context untouched since.
        properties.saved_ = SavedContext::copy_of_current();
    }
}

ContextProperties* FiberSwitch::adopt(boost::fibers::context* ctx) {
    std::unique_ptr<ContextProperties> properties(properties_for(ctx));
    start(ctx, *properties);
    return properties.release();
}

void FiberSwitch::first_sight(boost::fibers::context* ctx) {
    ctx->set_properties(adopt(ctx));
}

// Control reached the running fiber without a pick: Boost's launch::dispatch jumps from the
// creator straight into the new fiber, and the first call into the algorithm after that (the
// creator's awakened(), on the new fiber's stack) lands here.
void FiberSwitch::catch_up() {
    boost::fibers::context* running = boost::fibers::context::active();
    if (running == installed_) {
        return;
    }
    if (running->get_properties() == nullptr) {
        first_sight(running);
    }
    hand_over(installed_, running);
}

void FiberSwitch::hand_over(boost::fibers::context* from, boost::fibers::context* to) noexcept {
    if (from->get_properties() == nullptr) [[unlikely]] {
        // The flow that installed the scheduler, at its first switch: its context is the slot's.
        first_sight(from);
    }
    ContextProperties* leaving = context_properties(from);
    ContextProperties& entering = *context_properties(to);
    leaving->saved_ = switch_context(std::move(entering.saved_));
    leaving->greenlets_ = this_thread_state;
    this_thread_state = entering.greenlets_;
    greenlets_installed_ = entering.greenlets_ != nullptr;
    if (entering.greenlets_ != nullptr) {
        // The fiber may come from another thread: its greenlets swap this thread's C++
        // exception state from now on.
        entering.greenlets_->exceptions = this_thread_exception_state();
    }
    installed_ = to;
    if (from->*terminated_) [[unlikely]] {
        // Its values go now, on its stack (it never runs again): destructors must not block.
        SavedContext released = std::move(leaving->saved_);
    }
}

void FiberSwitch::notified() noexcept {
    if (this_thread_switch == this && installed_ == dispatcher_ && main_ != nullptr) {
        hand_over(dispatcher_, main_);
    }
}

void release_running_context() noexcept {
    SavedContext released = switch_context(SavedContext());
}

FiberSwitch& required_fiber_switch() {
    if (this_thread_switch == nullptr) {
        throw std::logic_error("ctxvar::fibers::make_fiber: this thread has no context scheduler "
                               "(call ctxvar::fibers::use_context_scheduler<Algo>() first)");
    }
    return *this_thread_switch;
}

} // namespace ctxvar::fibers::detail
