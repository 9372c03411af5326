// Shared by the Boost.Fiber tests: a thread with the context scheduler, a forked child for the
// multi-threaded algorithms (Boost keeps their queues in statics: work_stealing can have one
// pool per process), and the ThreadSanitizer exclusion, printed with its reason.
#pragma once

#include <ctxvar/fibers/scheduler.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fibers_test {

#if defined(__SANITIZE_THREAD__)
inline constexpr bool boost_fiber_excluded = true;
#else
inline constexpr bool boost_fiber_excluded = false;
#endif

inline constexpr const char* boost_fiber_exclusion_reason =
    "Debian's prebuilt Boost.Fiber switches stacks inside its own library, with no "
    "ThreadSanitizer fiber annotations: TSan would follow one stack across every switch";

// The names of the tests excluded in this build, printed by the test "Boost.Fiber exclusions".
inline std::vector<const char*>& excluded_tests() {
    static std::vector<const char*> names;
    return names;
}

inline bool note_boost_fiber_test(const char* name) {
    if (boost_fiber_excluded) {
        excluded_tests().push_back(name);
    }
    return true;
}

// Runs body() on a new thread whose Boost.Fiber scheduler is ContextScheduler<Algo>(args...),
// and joins it; an exception body throws is rethrown here.
template <class Algo, class Body, class... Args>
void on_fiber_thread(Body body, Args... args) {
    std::exception_ptr error;
    std::thread thread([&] {
        try {
            ctxvar::fibers::use_context_scheduler<Algo>(args...);
            body();
        } catch (...) {
            error = std::current_exception();
        }
    });
    thread.join();
    if (error) {
        std::rethrow_exception(error);
    }
}

// Runs body() in a forked child (fresh Boost statics) and returns the exit status: body's
// result (0: all went well), or 100 + the signal that killed it. The child prints its own
// findings to stderr.
template <class Body>
int in_child_process(Body body) {
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::signal(SIGSEGV, SIG_DFL); // not doctest's handler
        std::signal(SIGABRT, SIG_DFL);
        int status = 99;
        try {
            status = body();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: exception: %s\n", e.what());
        }
        std::fflush(stderr);
        ::_exit(status);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    if (WIFSIGNALED(status)) {
        return 100 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

} // namespace fibers_test

#define CTXVAR_FIBER_CAT2(a, b) a##b
#define CTXVAR_FIBER_CAT(a, b) CTXVAR_FIBER_CAT2(a, b)
// A test of Boost.Fiber's own switching: skipped under ThreadSanitizer, and named in the
// "Boost.Fiber exclusions" test's output with the reason.
#define BOOST_FIBER_TEST_CASE(name)                                                                \
    static const bool CTXVAR_FIBER_CAT(boost_fiber_test_noted_, __LINE__) =                        \
        fibers_test::note_boost_fiber_test(name);                                                  \
    TEST_CASE(name* doctest::skip(fibers_test::boost_fiber_excluded))
