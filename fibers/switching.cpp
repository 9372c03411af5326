// Greenlet stack switches on Boost.Context's fcontext: start, switch, finish. Each jump hands
// over the context (ctxvar::switch_context) and the C++ exception state, and is annotated for
// AddressSanitizer and ThreadSanitizer.
#include "exception_state.hpp"
#include "runtime.hpp"
#include "sanitizers.hpp"

#include <boost/context/detail/fcontext.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace ctxvar::fibers {
namespace fctx = boost::context::detail;
using detail::GreenletState;
using detail::ThreadState;
using detail::Transfer;

namespace {

detail::GreenletCore& core(Greenlet& g) noexcept {
    return GreenletRuntime::core(g);
}

[[gnu::cold, noreturn]] void throw_other_thread(const detail::ThreadRecord& record) {
    throw GreenletError(record.ended.load(std::memory_order_acquire)
                            ? "cannot switch to a different thread (which happens to have exited)"
                            : "cannot switch to a different thread");
}

[[gnu::always_inline]] inline ThreadState& check_switch_allowed(Greenlet& g) {
    ThreadState& ts = ThreadState::get();
    const detail::ThreadRecord& record = *core(g).thread;
    if (&record != ts.record.get()) [[unlikely]] {
        throw_other_thread(record);
    }
    return ts;
}

// Back on `self`'s stack: records where the greenlet that jumped here stopped (or frees its
// stack if it finished) and what ASan learnt about that stack.
[[gnu::always_inline]] inline void arrive(Greenlet& self, fctx::transfer_t from) noexcept {
    const void* left_bottom = nullptr;
    std::size_t left_size = 0;
    detail::asan_finish_switch(core(self).asan_fake_stack, &left_bottom, &left_size);
    Greenlet& left = *static_cast<Greenlet*>(from.data);
    detail::GreenletCore& was = core(left);
    if (was.finishing) {
        GreenletRuntime::release_stack(left);
    } else {
        was.suspended_at = from.fctx;
        was.asan_bottom = left_bottom; // how a main greenlet's stack becomes known
        was.asan_size = left_size;
    }
}

// Leaves `from` (the running greenlet) for `to`; returns when something switches back to `from`
// (never, when `from` is finishing).
// Inlined into switch_to: every call level between a switch and the jump costs a mispredicted
// return on each side (the return-stack predictor cannot follow a stack switch).
[[gnu::always_inline]] inline void jump(ThreadState& ts, Greenlet& from, Greenlet& to) noexcept {
    detail::GreenletCore& leaving = core(from);
    detail::GreenletCore& entering = core(to);
    leaving.saved = switch_context(std::move(entering.saved));
    detail::switch_exception_state(ts.exceptions, leaving.exceptions, entering.exceptions);
    ts.current = &to;
    if (leaving.finishing) {
        // Release: another thread that sees it dead also sees its last context (saved above).
        leaving.state.store(GreenletState::dead, std::memory_order_release);
    }
    detail::asan_start_switch(leaving.finishing ? nullptr : &leaving.asan_fake_stack,
                              entering.asan_bottom, entering.asan_size);
    detail::tsan_switch_to(entering.tsan_fiber);
    fctx::transfer_t back = fctx::jump_fcontext(entering.suspended_at, &from);
    arrive(from, back);
}

bool is_greenlet_exit(const std::exception_ptr& error, std::any& as_value) {
    try {
        std::rethrow_exception(error);
    } catch (const GreenletExit& exit) {
        as_value = exit;
        return true;
    } catch (...) {
        return false;
    }
}

// The rest of a greenlet's life after its function: the result goes up the parent chain.
[[noreturn]] void finish(ThreadState& ts, Greenlet& self, Transfer result) noexcept {
    GreenletRuntime::unlink(ts, self);
    Greenlet* target = core(self).parent.get();
    for (;;) {
        while (GreenletRuntime::state(*target) == GreenletState::dead) {
            target = core(*target).parent.get(); // a main greenlet is never dead while it runs
        }
        if (GreenletRuntime::state(*target) != GreenletState::unstarted) {
            break;
        }
        try {
            GreenletRuntime::start(ts, *target); // greenlet's rule: an unstarted parent starts
            break;
        } catch (...) {
            result = Transfer{{}, std::current_exception()};
            target = core(*target).parent.get();
        }
    }
    core(self).finishing = true;
    ts.transfer = std::move(result);
    jump(ts, self, *target);
    std::fputs("ctxvar::fibers: a finished greenlet was resumed\n", stderr);
    std::abort();
}

[[noreturn]] void entry(fctx::transfer_t from) noexcept {
    Greenlet& self = *ThreadState::get().current;
    arrive(self, from);
    Transfer result;
    {
        Transfer in = std::exchange(ThreadState::get().transfer, {});
        if (in.error) {
            // throw_in before the start: the function never runs (greenlet's rule).
            if (!is_greenlet_exit(in.error, result.value)) {
                result.error = std::move(in.error);
            }
        } else {
            try {
                result.value = GreenletRuntime::run(self, std::move(in.value));
            } catch (const GreenletExit& exit) {
                result.value = exit;
            } catch (abi::__forced_unwind&) {
                // pthread_exit or cancellation: the unwinding cannot leave this stack.
                std::fputs("ctxvar::fibers: pthread_exit or thread cancellation inside a "
                           "greenlet\n",
                           stderr);
                std::abort();
            } catch (...) {
                result.error = std::current_exception();
            }
        }
    }
    GreenletRuntime::drop_body(self);
    finish(ThreadState::get(), self, std::move(result));
}

// The whole of a switch, inlined into switch_to and throw_in (see jump).
[[gnu::always_inline]] inline std::any send_inline(ThreadState& ts, Greenlet& to,
                                                   Transfer transfer) {
    GreenletRuntime::kill_doomed(ts);
    Greenlet* target = &to;
    while (GreenletRuntime::state(*target) == GreenletState::dead) {
        target = core(*target).parent.get();
    }
    if (target == ts.current) {
        if (transfer.error) {
            std::rethrow_exception(transfer.error);
        }
        return std::move(transfer.value);
    }
    if (GreenletRuntime::state(*target) == GreenletState::unstarted) [[unlikely]] {
        GreenletRuntime::start(ts, *target);
    }
    ts.transfer = std::move(transfer);
    jump(ts, *ts.current, *target);
    Transfer back = std::exchange(ThreadState::get().transfer, {});
    if (back.error) {
        std::rethrow_exception(std::move(back.error));
    }
    return std::move(back.value);
}

} // namespace

void GreenletRuntime::start(ThreadState& ts, Greenlet& g) {
    detail::GreenletCore& c = core(g);
    boost::context::stack_context stack = c.stacks.allocate();
    c.stack = stack;
    c.suspended_at = fctx::make_fcontext(stack.sp, stack.size, &entry);
    c.asan_bottom = static_cast<char*>(stack.sp) - stack.size;
    c.asan_size = stack.size;
    c.tsan_fiber = detail::tsan_create_fiber();
    c.state.store(GreenletState::active, std::memory_order_release);
    link(ts, g);
}

void GreenletRuntime::release_stack(Greenlet& g) noexcept {
    detail::GreenletCore& c = core(g);
    detail::tsan_destroy_fiber(std::exchange(c.tsan_fiber, nullptr));
    if (c.stack.sp != nullptr) {
        c.stacks.deallocate(c.stack);
        c.stack = {};
    }
    c.suspended_at = nullptr;
    c.asan_fake_stack = nullptr;
}

std::any GreenletRuntime::send(ThreadState& ts, Greenlet& to, Transfer transfer) {
    return send_inline(ts, to, std::move(transfer));
}

std::any Greenlet::switch_to(std::any value) {
    ThreadState& ts = check_switch_allowed(*this);
    return send_inline(ts, *this, Transfer{std::move(value), nullptr});
}

std::any Greenlet::throw_in(std::exception_ptr error) {
    if (!error) {
        throw std::invalid_argument("throw_in needs an exception (a null exception_ptr)");
    }
    ThreadState& ts = check_switch_allowed(*this);
    std::any exit_value;
    if (dead() && is_greenlet_exit(error, exit_value)) {
        // greenlet's rule: a dead greenlet eats GreenletExit; it goes up as a value.
        return send_inline(ts, *this, Transfer{std::move(exit_value), nullptr});
    }
    return send_inline(ts, *this, Transfer{{}, std::move(error)});
}

} // namespace ctxvar::fibers
