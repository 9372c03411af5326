// ctxvar::coro::when_all: runs several tasks at once, each in its own copy of the awaiter's
// context (asyncio.gather), and gives back all their results.
#pragma once

#include <ctxvar/coro/executor.hpp>
#include <ctxvar/coro/spawn.hpp>
#include <ctxvar/coro/task.hpp>
#include <ctxvar/coro/unretrieved_exception.hpp>

#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace ctxvar::coro {

// What when_all gives for a task of T: std::monostate stands for void.
template <class T>
using WhenAllValue = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

namespace detail {

// Awaits one child's handle, keeping its value or its exception; the first exception is kept
// to rethrow, a later one goes to the unretrieved-exception handler (as asyncio logs the
// exceptions gather did not raise).
template <class T, bool Switching>
BasicTask<WhenAllValue<T>, Switching> collect(JoinHandle<T, Switching>& handle,
                                              std::exception_ptr& first_error) {
    try {
        if constexpr (std::is_void_v<T>) {
            co_await handle;
            co_return std::monostate{};
        } else {
            co_return co_await handle;
        }
    } catch (...) {
        if (first_error) {
            report_unretrieved(std::current_exception());
        } else {
            first_error = std::current_exception();
        }
    }
    co_return WhenAllValue<T>{};
}

// Awaits each handle in turn, into the matching element of `results`.
template <bool Switching, class... Ts, std::size_t... I>
BasicTask<void, Switching> collect_all(std::tuple<JoinHandle<Ts, Switching>...>& handles,
                                       std::tuple<WhenAllValue<Ts>...>& results,
                                       std::exception_ptr& first_error, std::index_sequence<I...>) {
    ((std::get<I>(results) = co_await collect(std::get<I>(handles), first_error)), ...);
}

} // namespace detail

// A Task that starts every child at once (each on the awaiting thread, inline, until its first
// suspension), each in its own copy of the awaiter's context taken at that moment: no child
// sees another's sets, and the awaiter sees none of them. It resumes when the last child has
// ended, on that child's thread, and gives the results in argument order; if any child threw,
// it rethrows the first one in argument order, after all have ended (so no child outlives the
// awaiter's frame). Value types must be default-constructible when a child can throw.
template <bool Switching, class... Ts>
BasicTask<std::tuple<WhenAllValue<Ts>...>, Switching> when_all(BasicTask<Ts, Switching>... tasks) {
    InlineExecutor here;
    std::tuple<JoinHandle<Ts, Switching>...> handles{spawn(here, std::move(tasks))...};
    std::exception_ptr first_error;
    std::tuple<WhenAllValue<Ts>...> results;
    co_await detail::collect_all(handles, results, first_error, std::index_sequence_for<Ts...>{});
    if (first_error) {
        std::rethrow_exception(first_error);
    }
    co_return results;
}

// The same for any number of tasks of one type: the results in the vector's order.
template <class T, bool Switching>
BasicTask<std::vector<WhenAllValue<T>>, Switching>
when_all(std::vector<BasicTask<T, Switching>> tasks) {
    InlineExecutor here;
    std::vector<JoinHandle<T, Switching>> handles;
    handles.reserve(tasks.size());
    for (auto& task : tasks) {
        handles.push_back(spawn(here, std::move(task)));
    }
    std::exception_ptr first_error;
    std::vector<WhenAllValue<T>> results;
    results.reserve(handles.size());
    for (auto& handle : handles) {
        results.push_back(co_await detail::collect(handle, first_error));
    }
    if (first_error) {
        std::rethrow_exception(first_error);
    }
    co_return results;
}

} // namespace ctxvar::coro
