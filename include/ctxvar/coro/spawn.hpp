// ctxvar::coro::spawn and JoinHandle: start a task on an executor in a context of its own
// (asyncio's create_task), then await it, join it, or let it run on.
#pragma once

#include <ctxvar/context.hpp>
#include <ctxvar/coro/detail/root.hpp>
#include <ctxvar/coro/executor.hpp>
#include <ctxvar/coro/task.hpp>
#include <ctxvar/switch.hpp>

#include <coroutine>
#include <stdexcept>
#include <utility>

namespace ctxvar::coro {

template <class T, bool Switching = true>
class JoinHandle;

namespace detail {
template <bool Switching, class T, Executor E>
JoinHandle<T, Switching> spawn_root(E& executor, BasicTask<T, Switching> task,
                                    std::optional<Context> to_enter);
} // namespace detail

// A spawned task's handle. Move-only. `co_await handle` (inside a ctxvar task or any coroutine)
// or `handle.join()` (blocking the calling thread; never from a thread the task needs) gives
// the task's result or rethrows its exception; either may be done once. Dropping the handle
// detaches the task: it runs on, and if it ends with an exception that nobody took, the
// exception goes to the unretrieved-exception handler (unretrieved_exception.hpp) when the
// task's frame goes, never silently lost.
template <class T, bool Switching>
class JoinHandle {
  public:
    JoinHandle() noexcept = default;
    JoinHandle(JoinHandle&& other) noexcept : root_(std::exchange(other.root_, nullptr)) {}
    JoinHandle& operator=(JoinHandle other) noexcept {
        std::swap(root_, other.root_);
        return *this;
    }
    ~JoinHandle() {
        if (root_) {
            root_.promise().release();
        }
    }

    explicit operator bool() const noexcept { return static_cast<bool>(root_); }

    // Whether the task has ended (its context released, its result or exception ready).
    bool done() const { return promise().done(); }

    // Blocks until the task ends, then returns its result or rethrows its exception.
    T join() {
        promise().wait();
        return promise().take_result();
    }

    auto operator co_await() noexcept {
        struct Awaiter {
            JoinHandle* handle;
            bool await_ready() const { return handle->promise().done(); }
            bool await_suspend(std::coroutine_handle<> awaiter) noexcept {
                return handle->promise().await_completion(awaiter);
            }
            T await_resume() { return handle->promise().take_result(); }
        };
        return Awaiter{this};
    }

  private:
    template <bool S, class U, Executor E>
    friend JoinHandle<U, S> detail::spawn_root(E&, BasicTask<U, S>, std::optional<Context>);

    explicit JoinHandle(detail::RootHandle<T, Switching> root) noexcept : root_(root) {}

    detail::RootPromise<T, Switching>& promise() const {
        if (!root_) {
            throw std::logic_error("ctxvar::coro::JoinHandle: empty handle (moved from)");
        }
        return root_.promise();
    }

    detail::RootHandle<T, Switching> root_;
};

namespace detail {

// What both spawn overloads do: make the root, give it its context (a copy now, or the one to
// enter at its start), post its first resumption. On a throw nothing was started.
template <bool Switching, class T, Executor E>
JoinHandle<T, Switching> spawn_root(E& executor, BasicTask<T, Switching> task,
                                    std::optional<Context> to_enter) {
    if (!task) {
        throw std::logic_error("ctxvar::coro::spawn: empty task (moved from)");
    }
    struct Unposted {
        detail::RootHandle<T, Switching> root;
        ~Unposted() {
            if (root) {
                root.destroy(); // never started: destroys the task too, nothing to report
            }
        }
    } unposted{detail::make_root(std::move(task)).handle};
    auto& promise = unposted.root.promise();
    if (to_enter) {
        promise.enter_at_start(std::move(*to_enter));
    } else if constexpr (Switching) {
        promise.saved = SavedContext::copy_of_current();
    }
    executor.post(ResumeJob{unposted.root});
    return JoinHandle<T, Switching>(std::exchange(unposted.root, nullptr));
}

} // namespace detail

// Starts `task` on `executor` in a copy of the current context, taken now (asyncio's
// create_task): the task never sees what the spawner sets later, and the spawner never sees
// what the task sets. The task owns that context object from its start and releases it when it
// ends, before its handle learns so. Throws what copying the context or executor.post throws,
// and then nothing was started.
template <class T, bool Switching, Executor E>
JoinHandle<T, Switching> spawn(E& executor, BasicTask<T, Switching> task) {
    return detail::spawn_root<Switching>(executor, std::move(task), std::nullopt);
}

// Starts `task` on `executor` in `context` itself, entered for the task's whole life (asyncio's
// Task(context=)): no other flow can enter it meanwhile. If it is already entered when the task
// starts, the task ends at once with ContextEnteredError, delivered to whoever joins or awaits.
template <class T, bool Switching, Executor E>
JoinHandle<T, Switching> spawn(E& executor, BasicTask<T, Switching> task, Context context) {
    return detail::spawn_root<Switching>(executor, std::move(task), std::move(context));
}

} // namespace ctxvar::coro

#include <ctxvar/coro/detail/run_alone.hpp>
