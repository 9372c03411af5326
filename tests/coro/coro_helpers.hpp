// Shared helpers for the tests of the coroutine layer (ctxvar/coro.hpp): the context core's test
// helpers (IsolatedFlow, Counted, Boom, message_of), a capture of the unretrieved-exception
// handler, the thread ids of a pool, a probe of the stack's depth, and a minimal fire-and-forget
// coroutine type of "another library" that keeps no context.
#pragma once

#include "../context/test_helpers.hpp"

#include <ctxvar/context_var.hpp>
#include <ctxvar/coro.hpp>

#include <doctest/doctest.h>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace coro_test {

using namespace context_test;

// The what() of an exception_ptr's exception ("<not a std::exception>" for anything else).
inline std::string what_of(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "<not a std::exception>";
    }
}

// Installs, for the scope's life, an unretrieved-exception handler that records the what() of
// every exception it is given (on whichever thread); the previous handler comes back at the end.
class UnretrievedCapture {
  public:
    UnretrievedCapture() {
        clear();
        previous_ = ctxvar::coro::set_unretrieved_exception_handler(&record);
    }
    UnretrievedCapture(const UnretrievedCapture&) = delete;
    UnretrievedCapture& operator=(const UnretrievedCapture&) = delete;
    ~UnretrievedCapture() {
        ctxvar::coro::set_unretrieved_exception_handler(previous_);
        clear();
    }

    std::vector<std::string> messages() const {
        std::lock_guard lock(state().mutex);
        return state().messages;
    }

  private:
    struct State {
        std::mutex mutex;
        std::vector<std::string> messages;
    };
    static State& state() {
        static State s;
        return s;
    }
    static void clear() {
        std::lock_guard lock(state().mutex);
        state().messages.clear();
    }
    static void record(std::exception_ptr error) noexcept {
        std::string message = what_of(error);
        std::lock_guard lock(state().mutex);
        state().messages.push_back(std::move(message));
    }

    ctxvar::coro::UnretrievedExceptionHandler previous_ = nullptr;
};

// The ids of all of `pool`'s threads: one job per thread, each held until all have started, so
// that every thread takes exactly one.
inline std::set<std::thread::id> thread_ids_of(ctxvar::coro::ThreadPool& pool) {
    struct Shared {
        explicit Shared(std::ptrdiff_t n) : all_in(n), done(n) {}
        std::mutex mutex;
        std::set<std::thread::id> ids;
        std::latch all_in;
        std::latch done;
    };
    const auto n = static_cast<std::ptrdiff_t>(pool.size());
    auto shared = std::make_shared<Shared>(n);
    for (std::ptrdiff_t i = 0; i != n; ++i) {
        pool.post([shared] {
            {
                std::lock_guard lock(shared->mutex);
                shared->ids.insert(std::this_thread::get_id());
            }
            shared->all_in.arrive_and_wait();
            shared->done.count_down();
        });
    }
    shared->done.wait();
    std::lock_guard lock(shared->mutex);
    return shared->ids;
}

// The frame address of a function called from the caller: how deep the stack is there. Called
// at the same point of a loop, it gives the same answer each time unless calls nest. (Not a
// local's address: with ASan's detect_stack_use_after_return, locals live on "fake stacks"
// allocated on the heap, which move from call to call.)
[[gnu::noinline]] inline std::uintptr_t stack_depth_probe() noexcept {
    return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
}

// A fire-and-forget coroutine of "another library": it starts at once, frees itself at its end,
// has no await_transform and keeps no context (it runs in whatever context the thread that
// resumes it has current). An exception escaping it terminates the test binary.
struct Detached {
    struct promise_type {
        Detached get_return_object() noexcept { return {}; }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_never final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::terminate(); }
    };
};

// A child task that returns the value it found, then sets its own.
inline ctxvar::coro::Task<int> read_then_set(const ctxvar::ContextVar<int>& var, int value) {
    const int seen = var.get();
    var.set(value);
    co_return seen;
}

} // namespace coro_test
