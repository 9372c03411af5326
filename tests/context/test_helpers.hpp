// Shared helpers for the tests of the context core: a test run as a fresh flow with no context
// object, a probe of whether the flow has one, a value type that counts its live objects, and
// the message of an expected exception.
#pragma once

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/errors.hpp>
#include <ctxvar/switch.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

namespace context_test {

// The exception the tests throw through run(), scopes and threads.
struct Boom : std::runtime_error {
    Boom() : std::runtime_error("boom") {}
};

// Makes the enclosing scope a new flow without a context object, as a fresh thread is (CPython's
// tests use `isolated_context` for the same purpose): the test thread's current context is
// switched out on construction and back in on destruction, and whatever context the scope left
// current is released then. So no test sees another's values, and values a test sets do not
// outlive it in the test thread's context.
class IsolatedFlow {
  public:
    IsolatedFlow() noexcept : outer_(ctxvar::switch_context(ctxvar::SavedContext{})) {}
    IsolatedFlow(const IsolatedFlow&) = delete;
    IsolatedFlow& operator=(const IsolatedFlow&) = delete;
    ~IsolatedFlow() { ctxvar::SavedContext mine = ctxvar::switch_context(std::move(outer_)); }

  private:
    ctxvar::SavedContext outer_;
};

// Whether the running flow has a context object yet (a first set, a copy_context() or a run
// gives it one). Switches the flow's context out and straight back in; allocates nothing.
inline bool flow_has_context() noexcept {
    ctxvar::SavedContext mine = ctxvar::switch_context(ctxvar::SavedContext{});
    const bool has = mine.has_value();
    ctxvar::SavedContext none = ctxvar::switch_context(std::move(mine));
    return has && !none.has_value();
}

// Neither copyable nor movable: only in-place construction (emplace, scoped) can store one.
struct Immovable {
    explicit Immovable(int v) : value(v) {}
    Immovable(const Immovable&) = delete;
    Immovable& operator=(const Immovable&) = delete;
    int value;
};

// A value that counts its live objects in a counter of the test's own, so that a test can check
// exactly when stored values are destroyed. Copyable, equality-comparable by `value`.
struct Counted {
    Counted(std::atomic<int>& live_objects, int v) noexcept : live(&live_objects), value(v) {
        ++*live;
    }
    Counted(const Counted& other) noexcept : live(other.live), value(other.value) { ++*live; }
    Counted& operator=(const Counted&) = delete;
    ~Counted() { --*live; }
    friend bool operator==(const Counted& a, const Counted& b) noexcept {
        return a.value == b.value;
    }

    std::atomic<int>* live;
    int value;
};

// The what() of the E that f() throws. Another exception type escapes (failing the test); no
// exception at all fails the test and returns a string no expected message equals.
template <class E, class F>
std::string message_of(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const E& e) {
        return e.what();
    }
    FAIL_CHECK("the expected exception was not thrown");
    return "<nothing thrown>";
}

// The seed of a random test: CTXVAR_SEED from the environment when set (to replay a failure
// whose seed the test printed), else the test's own fixed default.
inline std::uint64_t test_seed(std::uint64_t fallback) {
    if (const char* s = std::getenv("CTXVAR_SEED"); s != nullptr && *s != '\0') {
        return std::strtoull(s, nullptr, 0);
    }
    return fallback;
}

} // namespace context_test
