// ctxvar::coro::detail::ForeignAwaiter: how a task awaits anything that is not one of its own
// child Tasks. Its context comes down before the awaitable's await_suspend runs and goes back up
// when the task resumes, wherever and whenever that happens.
#pragma once

#include <ctxvar/coro/detail/chain.hpp>

#include <coroutine>
#include <type_traits>
#include <utility>

namespace ctxvar::coro::detail {

template <class A>
concept HasMemberCoAwait = requires(A&& a) {
    std::forward<A>(a).operator co_await();
};
template <class A>
concept HasFreeCoAwait = requires(A&& a) {
    operator co_await(std::forward<A>(a));
};

// The awaiter `co_await a` would use: a's operator co_await if it has one, else a itself (by
// reference: the operand of co_await lives until the end of its full-expression, across the
// suspension).
template <class A>
decltype(auto) get_awaiter(A&& a) {
    if constexpr (HasMemberCoAwait<A>) {
        return std::forward<A>(a).operator co_await();
    } else if constexpr (HasFreeCoAwait<A>) {
        return operator co_await(std::forward<A>(a));
    } else {
        return std::forward<A>(a);
    }
}

// Wraps the awaiter of a foreign awaitable. An aggregate, so that a prvalue awaiter is built in
// place (awaiters need not be movable); Awaiter is a reference type when the awaitable is its
// own awaiter.
//
// await_suspend takes the task's context down first: the foreign await_suspend runs in the
// context of whoever resumed the task last, and may hand the coroutine to another thread that
// resumes it before await_suspend has even returned. After the foreign await_suspend returns
// nothing here touches the coroutine frame. await_resume puts the task's context back up on
// whatever thread resumed the task, before the foreign await_resume runs. An exception from the
// foreign await_suspend puts it back up before it reaches the task.
// A resumption that is no suspension (false, or the coroutine's own handle) is not counted.
template <bool Switching, class Awaiter>
struct ForeignAwaiter {
    Chain* chain;
    Awaiter inner;
    bool taken_down = false;

    bool await_ready() { return static_cast<bool>(inner.await_ready()); }

    template <class Promise>
    auto await_suspend(std::coroutine_handle<Promise> handle) {
        ++chain->suspensions;
        chain->hand_over<Switching>();
        taken_down = true;
        try {
            using Result = decltype(inner.await_suspend(handle));
            if constexpr (std::is_same_v<Result, bool>) {
                if (!inner.await_suspend(handle)) {
                    not_suspended(); // the frame is still ours
                    return false;
                }
                return true;
            } else if constexpr (std::is_void_v<Result>) {
                inner.await_suspend(handle);
            } else {
                auto next = inner.await_suspend(handle);
                if (next.address() == handle.address()) {
                    --chain->suspensions; // resumes itself at once: not a suspension either
                }
                return next;
            }
        } catch (...) {
            not_suspended();
            throw;
        }
    }

    // Undoes the suspension's count and hand-over when the task goes on without suspending
    // (await_suspend returned false or threw), so that a child finishing after this still
    // counts as completed inline.
    void not_suspended() noexcept {
        --chain->suspensions;
        chain->hand_over<Switching>();
        taken_down = false;
    }

    decltype(auto) await_resume() {
        if (taken_down) {
            taken_down = false;
            chain->hand_over<Switching>();
        }
        return inner.await_resume();
    }
};

template <bool Switching, class A>
auto wrap_foreign(Chain& chain, A&& awaitable) {
    using Awaiter = decltype(get_awaiter(std::forward<A>(awaitable)));
    return ForeignAwaiter<Switching, Awaiter>{&chain, get_awaiter(std::forward<A>(awaitable))};
}

} // namespace ctxvar::coro::detail
