// Tests of sync_wait: a task run from synchronous code in a copy of the caller's context, or in a
// given Context that keeps what the task set.
#include "coro_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/coro.hpp>
#include <ctxvar/errors.hpp>

#include <doctest/doctest.h>

#include <thread>

using namespace coro_test;
using ctxvar::Context;
using ctxvar::ContextEnteredError;
using ctxvar::ContextVar;
using ctxvar::coro::resume_on;
using ctxvar::coro::sync_wait;
using ctxvar::coro::Task;
using ctxvar::coro::ThreadPool;

namespace {

Task<int> hop_read_then_set(ThreadPool& pool, const ContextVar<int>& var, int value) {
    co_await resume_on(pool);
    const int seen = var.get();
    var.set(value);
    co_return seen;
}

Task<int> throw_after_set(const ContextVar<int>& var) {
    var.set(99);
    throw Boom();
    co_return 0;
}

} // namespace

TEST_SUITE("coro") {
    TEST_CASE("sync_wait runs the task in a copy of the caller's context, which it leaves as it "
              "was") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        var.set(1);
        CHECK(sync_wait(read_then_set(var, 2)) == 1);
        CHECK(var.get() == 1);

        ThreadPool pool(1);
        CHECK(sync_wait(hop_read_then_set(pool, var, 3)) == 1);
        CHECK(var.get() == 1);

        CHECK_THROWS_AS(sync_wait(throw_after_set(var)), Boom);
        CHECK(var.get() == 1);
    }

    TEST_CASE("sync_wait in a given Context leaves the task's sets in it") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        var.set(1);
        Context context;
        CHECK(sync_wait(read_then_set(var, 5), context) == 0);
        REQUIRE(context.get(var) != nullptr);
        CHECK(*context.get(var) == 5);
        ThreadPool pool(1);
        CHECK(sync_wait(hop_read_then_set(pool, var, 6), context) == 5);
        CHECK(*context.get(var) == 6);
        CHECK(var.get() == 1);
    }

    TEST_CASE("sync_wait in an entered Context throws ContextEnteredError") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        Context context;
        context.run([&] {
            var.set(3);
            CHECK_THROWS_AS(sync_wait(read_then_set(var, 4), context), ContextEnteredError);
            CHECK(var.get() == 3);
        });
        CHECK(*context.get(var) == 3);
    }
}
