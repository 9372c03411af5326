// ctxvar::coro::set_unretrieved_exception_handler: where the exception of a task that nobody
// awaited or joined goes, so that it is reported rather than silently lost.
#pragma once

#include <atomic>
#include <cstdio>
#include <exception>

namespace ctxvar::coro {

// Called with the exception of a spawned task whose handle was dropped (or destroyed without
// its result being taken), when the task's last reference goes: asyncio's "Task exception was
// never retrieved". It runs on whichever thread drops that reference, and must not throw.
using UnretrievedExceptionHandler = void (*)(std::exception_ptr) noexcept;

namespace detail {

inline void print_unretrieved_exception(std::exception_ptr error) noexcept {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ctxvar::coro: task exception was never retrieved: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "ctxvar::coro: task exception was never retrieved (not a "
                             "std::exception)\n");
    }
}

inline std::atomic<UnretrievedExceptionHandler> unretrieved_exception_handler{
    &print_unretrieved_exception};

inline void report_unretrieved(std::exception_ptr error) noexcept {
    unretrieved_exception_handler.load(std::memory_order_acquire)(std::move(error));
}

} // namespace detail

// Installs `handler` for the whole process (nullptr restores the default, which prints the
// exception's what() to stderr) and returns the previous one.
inline UnretrievedExceptionHandler
set_unretrieved_exception_handler(UnretrievedExceptionHandler handler) noexcept {
    if (handler == nullptr) {
        handler = &detail::print_unretrieved_exception;
    }
    return detail::unretrieved_exception_handler.exchange(handler, std::memory_order_acq_rel);
}

} // namespace ctxvar::coro
