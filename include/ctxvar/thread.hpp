// ctxvar::Thread: a std::jthread look-alike whose thread starts in a context chosen by its
// creator — a copy of the creator's (the default), an empty one, or a given one.
#pragma once

#include <ctxvar/context.hpp>

#include <cxxabi.h>

#include <atomic>
#include <concepts>
#include <exception>
#include <functional>
#include <memory>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>

namespace ctxvar {

// Tag: start a Thread in a new, empty context.
struct EmptyContext {
    explicit EmptyContext() = default;
};
inline constexpr EmptyContext empty_context{};

namespace detail {
// How a Thread's function ended, shared by the thread and its handle. An exception is delivered
// to join(); if nobody can take it any more (detached, or the handle destroyed without join()),
// std::terminate reports it, as an exception escaping a std::thread's function does.
class ThreadOutcome {
  public:
    void fail(std::exception_ptr error) noexcept;   // on the thread
    void detach() noexcept;                         // the handle lets go
    void rethrow_after_join();                      // join(): throws the stored exception once
    void terminate_if_failed_after_join() noexcept; // destructor: nobody will join again

  private:
    enum : int { running, failed, detached };
    std::exception_ptr error_;
    std::atomic<int> state_{running};
};
// Calls body() and hands an exception that ends it to `outcome`, except an exception that is
// not a C++ one: glibc's forced unwind (pthread_exit, cancellation) must pass through, or glibc
// aborts the process. (Naming abi::__forced_unwind in a handler would bind a reference to an
// exception without an object, which UBSan reports; asking for the type does not.)
template <class Body>
void run_capturing(ThreadOutcome& outcome, Body&& body) {
    try {
        body();
    } catch (...) {
        if (abi::__cxa_current_exception_type() == nullptr) {
            throw;
        }
        outcome.fail(std::current_exception());
    }
}

} // namespace detail

// Like std::jthread (the same members, request_stop() and join() on destruction, and a function
// whose first parameter is a std::stop_token gets the thread's), except for two things:
// - the thread runs its function inside Context::run of a context chosen at construction: a
//   copy of the creator's current context (Python 3.14's default), a new empty one
//   (`Thread{ctxvar::empty_context, f}`), or a given Context, which is entered, so it must not be
//   entered anywhere else while the thread runs;
// - an exception that ends the function (ContextEnteredError, when the given context is already
//   entered, included) is rethrown by join(). A thread whose exception nobody can take any more
//   (detached, or destroyed without join()) calls std::terminate with it, as std::thread does.
// Arguments are copied (decayed) in the creating thread, as std::jthread does. After the
// function returns, the thread has no current context: thread_local destructors that read
// variables see their defaults.
class Thread {
  public:
    using id = std::jthread::id;
    using native_handle_type = std::jthread::native_handle_type;

    Thread() noexcept = default;

    template <class F, class... Args>
    requires(!std::same_as<std::remove_cvref_t<F>, Thread> &&
             !std::same_as<std::remove_cvref_t<F>, EmptyContext> &&
             !std::same_as<std::remove_cvref_t<F>, Context>) explicit Thread(F&& f, Args&&... args)
        : Thread(copy_context(), std::forward<F>(f), std::forward<Args>(args)...) {}

    template <class F, class... Args>
    Thread(EmptyContext, F&& f, Args&&... args)
        : Thread(Context(), std::forward<F>(f), std::forward<Args>(args)...) {}

    template <class F, class... Args>
    Thread(Context context, F&& f, Args&&... args)
        : outcome_(std::make_shared<detail::ThreadOutcome>()) {
        thread_ = std::jthread(
            [outcome = outcome_, context = std::move(context)](
                std::stop_token stop, std::decay_t<F> fn, std::decay_t<Args>... fn_args) mutable {
                detail::run_capturing(*outcome, [&] {
                    context.run([&] {
                        if constexpr (std::invocable<std::decay_t<F>, std::stop_token,
                                                     std::decay_t<Args>...>) {
                            std::invoke(std::move(fn), std::move(stop), std::move(fn_args)...);
                        } else {
                            std::invoke(std::move(fn), std::move(fn_args)...);
                        }
                    });
                });
            },
            std::forward<F>(f), std::forward<Args>(args)...);
    }

    Thread(Thread&&) noexcept = default;
    Thread& operator=(Thread&& other) noexcept {
        if (this != &other) {
            finish();
            thread_ = std::move(other.thread_);
            outcome_ = std::move(other.outcome_);
        }
        return *this;
    }
    ~Thread() { finish(); }

    bool joinable() const noexcept { return thread_.joinable(); }
    // Waits for the thread; rethrows the exception its function ended with, if any.
    void join() {
        thread_.join();
        std::exchange(outcome_, nullptr)->rethrow_after_join();
    }
    void detach() {
        thread_.detach();
        std::exchange(outcome_, nullptr)->detach();
    }
    id get_id() const noexcept { return thread_.get_id(); }
    native_handle_type native_handle() { return thread_.native_handle(); }
    std::stop_source get_stop_source() noexcept { return thread_.get_stop_source(); }
    std::stop_token get_stop_token() const noexcept { return thread_.get_stop_token(); }
    bool request_stop() noexcept { return thread_.request_stop(); }
    void swap(Thread& other) noexcept {
        thread_.swap(other.thread_);
        outcome_.swap(other.outcome_);
    }
    static unsigned hardware_concurrency() noexcept { return std::jthread::hardware_concurrency(); }

  private:
    void finish() noexcept {
        if (thread_.joinable()) {
            thread_.request_stop();
            thread_.join();
            std::exchange(outcome_, nullptr)->terminate_if_failed_after_join();
        }
    }

    std::jthread thread_;
    std::shared_ptr<detail::ThreadOutcome> outcome_;
};

} // namespace ctxvar
