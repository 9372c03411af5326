// ctxvar::coro::detail::Root: the coroutine at the bottom of every task that runs in a context
// of its own (spawn, sync_wait, when_all). It owns the task's Chain, installs the task's context
// when it starts, releases it when it ends, and tells the JoinHandle.
#pragma once

#include <ctxvar/context.hpp>
#include <ctxvar/coro/detail/chain.hpp>
#include <ctxvar/coro/detail/result.hpp>
#include <ctxvar/coro/detail/task_promise.hpp>
#include <ctxvar/coro/unretrieved_exception.hpp>
#include <ctxvar/switch.hpp>

#include <atomic>
#include <coroutine>
#include <optional>
#include <utility>

namespace ctxvar::coro::detail {

template <class T, bool Switching>
class RootPromise;

template <class T, bool Switching>
using RootHandle = std::coroutine_handle<RootPromise<T, Switching>>;

// The coroutine object make_root returns: just its handle, suspended before its first step.
template <class T, bool Switching>
struct Root {
    using promise_type = RootPromise<T, Switching>;
    RootHandle<T, Switching> handle;
};

template <class T, bool Switching>
class RootPromise : public Chain, public ReturnsInto<T> {
  public:
    Root<T, Switching> get_return_object() noexcept {
        return {RootHandle<T, Switching>::from_promise(*this)};
    }

    // The first resumption enters the given Context if there is one (ContextEnteredError, when
    // it is entered elsewhere, becomes the task's outcome and the body never runs), then
    // installs the task's context.
    auto initial_suspend() noexcept {
        struct Start {
            RootPromise* promise;
            bool await_ready() noexcept { return false; }
            void await_suspend(std::coroutine_handle<>) noexcept {}
            void await_resume() { promise->start(); }
        };
        return Start{this};
    }

    auto final_suspend() noexcept {
        struct Finish {
            bool await_ready() noexcept { return false; }
            std::coroutine_handle<> await_suspend(RootHandle<T, Switching> self) noexcept {
                return self.promise().finish();
            }
            void await_resume() noexcept {}
        };
        return Finish{};
    }

    template <class A>
    decltype(auto) await_transform(A&& awaitable) {
        return transform_await<Switching>(*this, std::forward<A>(awaitable));
    }
    Chain* task_chain() noexcept { return this; }

    // Before the start: the context to enter instead of the copy already in `saved`.
    void enter_at_start(Context context) noexcept { to_enter_.emplace(std::move(context)); }

    bool done() const noexcept { return waiter_.load(std::memory_order_acquire) == done_mark(); }

    // Registers `awaiter` to be resumed at the end; false when the task has already ended.
    bool await_completion(std::coroutine_handle<> awaiter) noexcept {
        void* expected = nullptr;
        return waiter_.compare_exchange_strong(expected, awaiter.address(),
                                               std::memory_order_acq_rel);
    }

    // Blocks the calling thread until the task has ended.
    void wait() const noexcept {
        for (void* seen = waiter_.load(std::memory_order_acquire); seen != done_mark();
             seen = waiter_.load(std::memory_order_acquire)) {
            waiter_.wait(seen, std::memory_order_acquire);
        }
    }

    T take_result() {
        if (retrieved_) {
            throw std::logic_error("ctxvar::coro: the task's result was already taken");
        }
        retrieved_ = true;
        return this->result.take();
    }

    // Drops one of the two references (the running task's, the handle's); the last one
    // destroys the frame, reporting an exception nobody took.
    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) {
            return;
        }
        if (!retrieved_ && this->result.has_exception()) {
            report_unretrieved(this->result.exception());
        }
        RootHandle<T, Switching>::from_promise(*this).destroy();
    }

  private:
    void start() {
        if (to_enter_) {
            entry_ = ContextEntry(*to_enter_);
            to_enter_.reset();
            saved = entry_.saved();
        }
        hand_over<Switching>();
        installed_ = true;
    }

    std::coroutine_handle<> finish() noexcept {
        if (installed_) {
            installed_ = false;
            hand_over<Switching>();
            // The task's values go now, in the resumer's context, before anyone learns that the
            // task has ended; then the entered context is free again.
            saved = SavedContext();
            entry_ = ContextEntry();
        }
        void* awaiter = waiter_.exchange(done_mark(), std::memory_order_acq_rel);
        waiter_.notify_all();
        std::coroutine_handle<> next = awaiter != nullptr
                                           ? std::coroutine_handle<>::from_address(awaiter)
                                           : std::noop_coroutine();
        release();
        return next;
    }

    void* done_mark() const noexcept { return const_cast<RootPromise*>(this); }

    std::optional<Context> to_enter_;
    ContextEntry entry_;
    bool installed_ = false;
    bool retrieved_ = false;
    // nullptr while running, the awaiting coroutine's address once one waits, done_mark() at
    // the end.
    std::atomic<void*> waiter_{nullptr};
    std::atomic<int> refs_{2};
};

// The root's body: awaits the task in the root's chain, so the task runs in the root's context.
template <class T, bool Switching>
Root<T, Switching> make_root(BasicTask<T, Switching> task) {
    if constexpr (std::is_void_v<T>) {
        co_await std::move(task);
    } else {
        co_return co_await std::move(task);
    }
}

} // namespace ctxvar::coro::detail
