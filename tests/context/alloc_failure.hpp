// Injected allocation failures for the tests: the whole test binary's operator new counts this
// thread's allocations and fails one on command (alloc_failure.cpp replaces it).
#pragma once

namespace context_test {

struct AllocControl {
    long fail_after = -1; // < 0: disarmed; else allocations that succeed before one fails
    long count = 0;       // allocations this thread asked for
};
extern constinit thread_local AllocControl alloc_control;

// While it lives, this thread's allocations fail after `n` more have succeeded (once).
class FailAfter {
  public:
    explicit FailAfter(long n) noexcept { alloc_control.fail_after = n; }
    FailAfter(const FailAfter&) = delete;
    FailAfter& operator=(const FailAfter&) = delete;
    ~FailAfter() { alloc_control.fail_after = -1; }
};

// How many allocations this thread makes in f().
template <class F>
long allocations_in(F&& f) {
    const long before = alloc_control.count;
    f();
    return alloc_control.count - before;
}

} // namespace context_test
