// ctxvar::coro::detail::TaskPromise and the awaiters that start a child Task inline and bring
// control back to its parent: the machinery behind ctxvar::coro::Task (task.hpp).
#pragma once

#include <ctxvar/coro/detail/chain.hpp>
#include <ctxvar/coro/detail/foreign_awaiter.hpp>
#include <ctxvar/coro/detail/result.hpp>

#include <coroutine>
#include <cstdint>
#include <stdexcept>
#include <utility>

namespace ctxvar::coro {
template <class T, bool Switching>
class BasicTask;
} // namespace ctxvar::coro

namespace ctxvar::coro::detail {

template <class T, bool Switching>
class TaskPromise;

// Brings a finished child back to its parent. A child that completed without suspending (the
// chain's suspension count unchanged since its start) tells the parent's await_suspend so
// through a flag on that call's stack and simply stops: the parent goes on from there, so a loop
// of synchronous completions never nests. A child that suspended on the way was resumed by
// someone else, and transfers to its parent.
struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> child) noexcept {
        auto& promise = child.promise();
        if (promise.chain->suspensions == promise.suspensions_at_start) {
            *promise.completed_inline = true;
            return std::noop_coroutine();
        }
        return promise.continuation;
    }
    void await_resume() noexcept {}
};

// `co_await task` inside a ctxvar coroutine: the child joins the awaiter's chain (one context)
// and starts at once, by a plain call; await_suspend returns false when it completed inline.
template <class T, bool Switching>
class TaskAwaiter {
  public:
    explicit TaskAwaiter(std::coroutine_handle<TaskPromise<T, Switching>> child) noexcept
        : child_(child) {}

    bool await_ready() const {
        if (!child_) {
            throw std::logic_error("ctxvar::coro::Task: awaiting an empty task (moved from)");
        }
        if (child_.promise().continuation) {
            throw std::logic_error("cannot reuse already awaited task");
        }
        return false;
    }

    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> parent) {
        auto& promise = child_.promise();
        bool completed_inline = false;
        promise.chain = parent.promise().task_chain();
        promise.continuation = parent;
        promise.completed_inline = &completed_inline;
        promise.suspensions_at_start = promise.chain->suspensions;
        child_.resume();
        // Past this point the parent may already be running elsewhere: only the local is read.
        return !completed_inline;
    }

    T await_resume() { return child_.promise().result.take(); }

  private:
    std::coroutine_handle<TaskPromise<T, Switching>> child_;
};

// What a ctxvar coroutine's await_transform does: its own child Tasks share its chain; anything
// else is wrapped so that the context comes down around the suspension.
template <bool Switching, class A>
decltype(auto) transform_await(Chain& chain, A&& awaitable);

// Lets the awaiters reach a task's coroutine handle, which the public type keeps private.
struct TaskAccess {
    template <class Task>
    static auto handle(Task& task) noexcept {
        return task.handle_;
    }
};

// Whether A is a child Task of a coroutine whose context handling is `Switching`.
template <class A, bool Switching>
inline constexpr bool is_child_task_v = false;
template <class T, bool Switching>
inline constexpr bool is_child_task_v<BasicTask<T, Switching>, Switching> = true;

template <class T, bool Switching>
class TaskPromise : public ReturnsInto<T> {
  public:
    BasicTask<T, Switching> get_return_object() noexcept;
    std::suspend_always initial_suspend() noexcept { return {}; }
    FinalAwaiter final_suspend() noexcept { return {}; }

    template <class A>
    decltype(auto) await_transform(A&& awaitable) {
        return transform_await<Switching>(*chain, std::forward<A>(awaitable));
    }

    Chain* task_chain() noexcept { return chain; }

    // Set by TaskAwaiter when the task is awaited; see FinalAwaiter.
    Chain* chain = nullptr;
    std::coroutine_handle<> continuation;
    bool* completed_inline = nullptr;
    std::uint64_t suspensions_at_start = 0;
};

template <bool Switching, class A>
decltype(auto) transform_await(Chain& chain, A&& awaitable) {
    using Plain = std::remove_cvref_t<A>;
    if constexpr (is_child_task_v<Plain, Switching>) {
        return TaskAwaiter<typename Plain::value_type, Switching>(TaskAccess::handle(awaitable));
    } else {
        return wrap_foreign<Switching>(chain, std::forward<A>(awaitable));
    }
}

} // namespace ctxvar::coro::detail
