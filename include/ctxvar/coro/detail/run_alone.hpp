// BasicTask's operator co_await, used by coroutines of other libraries: the task runs as a task
// of its own, started inline in a copy of the current context, and the awaiter resumes when it
// ends. (Included at the end of task.hpp.)
#pragma once

#include <ctxvar/coro/spawn.hpp>

namespace ctxvar::coro {

template <class T, bool Switching>
template <class Self>
auto BasicTask<T, Switching>::operator co_await() && {
    struct Awaiter {
        BasicTask<T, Switching> task;
        JoinHandle<T, Switching> handle;

        bool await_ready() {
            InlineExecutor inline_executor;
            handle = spawn(inline_executor, std::move(task));
            return handle.done();
        }
        bool await_suspend(std::coroutine_handle<> awaiter) noexcept {
            return handle.operator co_await().await_suspend(awaiter);
        }
        T await_resume() { return handle.operator co_await().await_resume(); }
    };
    return Awaiter{std::move(*static_cast<Self*>(this)), {}};
}

} // namespace ctxvar::coro
