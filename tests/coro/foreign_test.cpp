// Tests of a Task awaited by a coroutine of another library (no await_transform, no context of
// its own): the task runs as a task of its own in a copy of the current context, and its result
// or exception reaches the awaiting coroutine, also when it finishes on another thread.
#include "coro_helpers.hpp"

#include <ctxvar/context_var.hpp>
#include <ctxvar/coro.hpp>

#include <doctest/doctest.h>

#include <latch>
#include <set>
#include <string>
#include <thread>

using namespace coro_test;
using ctxvar::ContextVar;
using ctxvar::coro::resume_on;
using ctxvar::coro::Task;
using ctxvar::coro::ThreadPool;

namespace {

Task<int> set_then_throw(const ContextVar<int>& var) {
    var.set(3);
    throw Boom();
    co_return 0;
}

// Hops to the pool and waits there until the awaiting coroutine has suspended.
Task<int> hop_wait_read_then_set(ThreadPool& pool, std::latch& awaiter_suspended,
                                 const ContextVar<int>& var, int value) {
    const int seen = var.get();
    co_await resume_on(pool);
    awaiter_suspended.wait();
    var.set(value);
    co_return seen;
}

struct Outcome {
    int result = -1;
    int after_task = -1;
    bool caught = false;
    int after_throw = -1;
    std::thread::id resumed_on;
};

Detached await_tasks(const ContextVar<int>& var, Outcome& outcome) {
    var.set(1);
    outcome.result = co_await read_then_set(var, 2);
    outcome.after_task = var.get();
    try {
        co_await set_then_throw(var);
    } catch (const Boom&) {
        outcome.caught = true;
    }
    outcome.after_throw = var.get();
}

Detached await_hopping_task(ThreadPool& pool, std::latch& suspended, const ContextVar<int>& var,
                            Outcome& outcome, std::latch& done) {
    outcome.result = co_await hop_wait_read_then_set(pool, suspended, var, 2);
    outcome.after_task = var.get();
    outcome.resumed_on = std::this_thread::get_id();
    done.count_down();
}

} // namespace

TEST_SUITE("coro") {
    TEST_CASE("a task awaited by another library's coroutine runs in a copy of the current "
              "context, and its result and exception arrive") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        Outcome outcome;
        await_tasks(var, outcome);      // runs to its end here: the tasks complete synchronously
        CHECK(outcome.result == 1);     // the task saw the current value
        CHECK(outcome.after_task == 1); // its set stayed in its copy
        CHECK(outcome.caught);
        CHECK(outcome.after_throw == 1);
        CHECK(var.get() == 1); // the foreign coroutine's set was the thread's own
    }

    TEST_CASE("a task awaited by another library's coroutine and finishing on a pool resumes it "
              "there with the result, without the task's values") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        Outcome outcome;
        std::latch suspended(1);
        std::latch done(1);
        std::set<std::thread::id> pool_threads;
        {
            ThreadPool pool(1);
            pool_threads = thread_ids_of(pool);
            var.set(1);
            await_hopping_task(pool, suspended, var, outcome, done); // returns at its suspension
            suspended.count_down();
            done.wait();
        }
        CHECK(outcome.result == 1);
        // Resumed by the pool's thread, in the context that thread had: none (never the task's).
        CHECK(outcome.after_task == 0);
        CHECK(pool_threads.count(outcome.resumed_on) == 1);
        CHECK(var.get() == 1);
    }
}
