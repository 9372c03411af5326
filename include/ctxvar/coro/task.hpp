// ctxvar::coro::Task<T>: a lazy coroutine task that keeps its context across every suspension
// and every thread, with asyncio's rules.
#pragma once

#include <ctxvar/coro/detail/task_promise.hpp>

#include <coroutine>
#include <utility>

namespace ctxvar::coro {

// A lazy, move-only coroutine returning T (a value, a reference, a move-only type or void). It
// starts when awaited, and an exception that ends it is rethrown to the awaiter.
//
// Context (asyncio's rules, ../DESIGN.md):
// - `co_await task` inside a Task runs the child in the awaiter's own context, as a plain
//   `await` does in Python: a variable the child sets is visible to the parent afterwards.
// - A task runs in its own context (spawn, sync_wait, when_all give it one; see spawn.hpp).
//   Every time the task suspends on anything other than a child Task (a pool hop, a timer, an
//   I/O completion, a handle of another task, any awaitable of any library), its context is
//   taken down before that awaitable's await_suspend runs, so await_suspend runs in the context
//   of whoever resumed the task last; on resumption, by whatever thread, callback, Boost.Fiber
//   fiber or greenlet, the task's context is put back up first and the resumer's kept aside,
//   and handed back when the task next suspends or ends. The resumer never sees the task's
//   values and the task never sees the resumer's. This holds for await_suspend returning void,
//   bool or a coroutine handle, and for awaitables that resume the task on another thread
//   before their await_suspend returns. Each hand-over is one ctxvar::switch_context call.
// - Awaited by a coroutine of another library (which keeps no context), a Task runs as a task
//   of its own in a copy of the current context, as spawn does, and the other coroutine resumes
//   when it is done.
//
// A loop that awaits a million children completing synchronously does not grow the stack, in
// any build mode: a child that completes without suspending returns to its parent's
// await_suspend, which resumes the parent without a nested call (symmetric transfer is used
// only where the child did suspend, and then the stack is the resumer's).
//
// Misuse throws std::logic_error: awaiting an empty (moved-from) task, or one already awaited
// ("cannot reuse already awaited task", Python's words).
//
// BasicTask<T, false> is the same type with the context handling compiled out: it exists so
// the benchmark can measure what the context costs, side by side. Use Task<T>.
template <class T, bool Switching>
class [[nodiscard]] BasicTask {
  public:
    using promise_type = detail::TaskPromise<T, Switching>;
    using value_type = T;
    static constexpr bool switching = Switching;

    BasicTask() noexcept = default;
    BasicTask(BasicTask&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    BasicTask& operator=(BasicTask other) noexcept {
        std::swap(handle_, other.handle_);
        return *this;
    }
    // Destroys the coroutine: a task never awaited never runs.
    ~BasicTask() {
        if (handle_) {
            handle_.destroy();
        }
    }

    // False for a moved-from or default-constructed task.
    explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

    // The awaiter a coroutine of another library gets (ctxvar's own coroutines use
    // await_transform instead): the task runs as a task of its own; see above. Defined in
    // detail/run_alone.hpp.
    template <class Self = BasicTask>
    auto operator co_await() &&;

  private:
    friend promise_type;
    friend struct detail::TaskAccess;
    explicit BasicTask(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}

    std::coroutine_handle<promise_type> handle_;
};

template <class T = void>
using Task = BasicTask<T, true>;

} // namespace ctxvar::coro

namespace ctxvar::coro::detail {

template <class T, bool Switching>
BasicTask<T, Switching> TaskPromise<T, Switching>::get_return_object() noexcept {
    return BasicTask<T, Switching>(
        std::coroutine_handle<TaskPromise<T, Switching>>::from_promise(*this));
}

} // namespace ctxvar::coro::detail

// spawn.hpp defines operator co_await above (detail/run_alone.hpp) once JoinHandle exists.
#include <ctxvar/coro/spawn.hpp>
