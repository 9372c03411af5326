// ctxvar::fibers::GreenletRuntime: the greenlet machinery behind the public members: switching
// stacks (switching.cpp) and the greenlets' lifetime, kills and thread exit (lifetime.cpp).
#pragma once

#include "thread_state.hpp"

#include <ctxvar/fibers/greenlet.hpp>

#include <any>
#include <memory>

namespace ctxvar::fibers {

struct GreenletRuntime {
    static detail::GreenletCore& core(Greenlet& g) noexcept { return g.core_; }
    static const detail::GreenletCore& core(const Greenlet& g) noexcept { return g.core_; }
    static detail::GreenletState state(const Greenlet& g) noexcept {
        return g.core_.state.load(std::memory_order_acquire);
    }

    // --- switching.cpp ------------------------------------------------------------------------
    // Sends `transfer` to `target` (or the first ancestor that is not dead) and returns what
    // comes back; rethrows an exception that comes back. The caller checked the thread.
    static std::any send(detail::ThreadState& ts, Greenlet& target, detail::Transfer transfer);
    // Gives an unstarted greenlet its stack and entry point. Throws (std::bad_alloc) before
    // changing anything.
    static void start(detail::ThreadState& ts, Greenlet& g);
    // Gives back a finished (or murdered) greenlet's stack; on its thread, off its stack.
    static void release_stack(Greenlet& g) noexcept;

    // --- lifetime.cpp -------------------------------------------------------------------------
    static void reap(Greenlet& g) noexcept; // the last handle went (Reaper)
    // Kills the greenlets whose last handle went elsewhere, where that can be done now.
    static void kill_doomed(detail::ThreadState& ts) noexcept {
        if (ts.record->has_doomed.load(std::memory_order_acquire)) [[unlikely]] {
            kill_doomed_now(ts);
        }
    }
    static void kill_doomed_now(detail::ThreadState& ts) noexcept;
    // A handle to the running greenlet, made anew if its handles are gone.
    static std::shared_ptr<Greenlet> handle_of_current(detail::ThreadState& ts);
    static void end_thread(detail::ThreadState& ts) noexcept; // ~ThreadState
    static std::shared_ptr<Greenlet> make_main(detail::ThreadState& ts);

    static void link(detail::ThreadState& ts, Greenlet& g) noexcept;   // started
    static void unlink(detail::ThreadState& ts, Greenlet& g) noexcept; // finished

    static std::any run(Greenlet& g, std::any value) { return g.run(std::move(value)); }
    static void drop_body(Greenlet& g) noexcept { g.drop_body(); }
};

} // namespace ctxvar::fibers
