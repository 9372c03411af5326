// Greenlet stacks: a Boost.Context allocator passed in, the pooled allocator's reuse, and the
// guard page that turns an overflow into a fault.
#include "to_parent.hpp"

#include <ctxvar/fibers/greenlet.hpp>
#include <ctxvar/fibers/stack.hpp>

#include <boost/context/fixedsize_stack.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <any>
#include <csignal>
#include <cstddef>
#include <memory>

using ctxvar::fibers::Greenlet;
using ctxvar::fibers::PooledStackAllocator;
using ctxvar::fibers::StackAllocator;

namespace {

// A Boost.Context allocator that counts what it hands out.
struct CountingStacks {
    int* allocated;
    int* deallocated;
    boost::context::fixedsize_stack inner{64 * 1024};
    boost::context::stack_context allocate() {
        ++*allocated;
        return inner.allocate();
    }
    void deallocate(boost::context::stack_context& sc) {
        ++*deallocated;
        inner.deallocate(sc);
    }
};

// Recurses `limit` levels deep (more than a 64 KiB stack holds); the volatile buffer keeps each
// frame real.
[[gnu::noinline]] int recurse(int depth, int limit) {
    volatile char frame[512];
    frame[0] = static_cast<char>(depth);
    return depth == limit ? 0 : recurse(depth + 1, limit) + frame[0];
}

} // namespace

TEST_SUITE("fibers") {

    TEST_CASE(
        "a greenlet takes its stack from the allocator given at its first switch and gives it "
        "back when it finishes") {
        int allocated = 0;
        int deallocated = 0;
        auto g = Greenlet::create(std::allocator_arg, CountingStacks{&allocated, &deallocated},
                                  [](std::any v) { return v; });
        CHECK(allocated == 0);
        CHECK(std::any_cast<int>(g->switch_to(3)) == 3);
        CHECK(allocated == 1);
        CHECK(deallocated == 1);
    }

    TEST_CASE("Boost's protected_fixedsize_stack works as a greenlet stack") {
        auto g = Greenlet::create(std::allocator_arg,
                                  boost::context::protected_fixedsize_stack{128 * 1024},
                                  [](std::any v) { return std::any_cast<int>(v) + 1; });
        CHECK(std::any_cast<int>(g->switch_to(41)) == 42);
    }

    TEST_CASE("the pooled allocator reuses the stacks of finished greenlets") {
        PooledStackAllocator pool{64 * 1024, 4};
        CHECK(pool.stack_size() == 64 * 1024);
        CHECK(pool.cached() == 0);
        for (int i = 0; i < 10; ++i) {
            auto g = Greenlet::create(std::allocator_arg, pool, [](std::any v) { return v; });
            g->switch_to(i);
        }
        CHECK(pool.cached() == 1); // one stack served all ten, one after the other
        {
            std::shared_ptr<Greenlet> alive[6];
            for (auto& g : alive) {
                g = Greenlet::create(std::allocator_arg, pool, [](std::any) -> std::any {
                    std::shared_ptr<Greenlet> parent = Greenlet::current()->parent();
                    parent->switch_to();
                    return {};
                });
                g->switch_to();
            }
            CHECK(pool.cached() == 0);
            for (auto& g : alive) {
                g->switch_to(); // finish
            }
        }
        CHECK(pool.cached() == 4); // at most max_cached kept; the other two were unmapped
    }

    TEST_CASE(
        "a stack overflow in a greenlet faults on the guard page instead of corrupting memory") {
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            std::signal(SIGSEGV, SIG_DFL); // not doctest's handler: the child must die of the fault
            std::signal(SIGBUS, SIG_DFL);
            auto g = Greenlet::create(std::allocator_arg,
                                      StackAllocator{PooledStackAllocator{64 * 1024}},
                                      [](std::any) -> std::any { return recurse(0, 1 << 20); });
            g->switch_to();
            ::_exit(0); // not reached
        }
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGSEGV);
    }

} // TEST_SUITE
