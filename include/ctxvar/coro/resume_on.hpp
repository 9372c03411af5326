// ctxvar::coro::resume_on: `co_await resume_on(executor)` moves the rest of a task to a thread
// of that executor; the task's context comes along.
#pragma once

#include <ctxvar/coro/executor.hpp>

#include <coroutine>

namespace ctxvar::coro {

// Suspends the awaiting coroutine and posts its resumption to `executor` (always a hop, even
// when already on one of its threads). If post throws, the coroutine goes on where it was and
// the exception is thrown at the co_await. The executor must outlive the hop.
template <Executor E>
[[nodiscard]] auto resume_on(E& executor) noexcept {
    struct Hop {
        E* executor;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> coroutine) {
            executor->post(ResumeJob{coroutine});
        }
        void await_resume() const noexcept {}
    };
    return Hop{&executor};
}

} // namespace ctxvar::coro
