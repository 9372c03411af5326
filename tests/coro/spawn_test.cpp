// Tests of spawn and JoinHandle: a spawned task's copy of the spawner's context, a task run in a
// given Context, exceptions through join() and co_await, a finished task releasing its context,
// and detached tasks reporting exceptions nobody took.
#include "coro_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/coro.hpp>
#include <ctxvar/errors.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <exception>
#include <latch>
#include <stdexcept>
#include <string>
#include <vector>

using namespace coro_test;
using ctxvar::Context;
using ctxvar::ContextEnteredError;
using ctxvar::ContextVar;
using ctxvar::coro::InlineExecutor;
using ctxvar::coro::JoinHandle;
using ctxvar::coro::resume_on;
using ctxvar::coro::spawn;
using ctxvar::coro::sync_wait;
using ctxvar::coro::Task;
using ctxvar::coro::ThreadPool;

namespace {

struct Observed {
    int at_start = -1;
    int after_own_set = -1;
    int after_hop = -1;
};

// Waits until the spawner has set the variable again, then reads, sets, hops and reads.
Task<Observed> observe(const ContextVar<int>& var, std::latch& spawner_has_set, ThreadPool& pool) {
    Observed seen;
    spawner_has_set.wait();
    seen.at_start = var.get();
    var.set(2);
    seen.after_own_set = var.get();
    co_await resume_on(pool);
    seen.after_hop = var.get();
    co_return seen;
}

Task<int> hop_then_throw(ThreadPool& pool) {
    co_await resume_on(pool);
    throw Boom();
    co_return 0;
}

Task<int> throw_at_once() {
    throw Boom();
    co_return 0;
}

struct InContext {
    int at_start = -1;
    bool entered_while_running = false;
};

Task<InContext> set_in_given_context(const ContextVar<int>& var, Context context,
                                     ThreadPool& pool) {
    InContext seen;
    seen.at_start = var.get();
    var.set(20);
    co_await resume_on(pool);
    try {
        context.run([] {});
    } catch (const ContextEnteredError&) {
        seen.entered_while_running = true;
    }
    co_return seen;
}

Task<> mark_ran(std::atomic<bool>& ran) {
    ran = true;
    co_return;
}

// Stores counted values in the task's context, on both sides of a hop.
Task<> hold_values(const ContextVar<Counted>& var, std::atomic<int>& live, ThreadPool& pool) {
    var.set(Counted(live, 1));
    co_await resume_on(pool);
    var.set(Counted(live, 2));
    co_await resume_on(pool);
}

Task<> wait_then_throw(std::latch& handle_dropped, ThreadPool& pool, std::latch& ended) {
    handle_dropped.wait();
    co_await resume_on(pool);
    ended.count_down();
    throw std::runtime_error("detached boom");
}

Task<int> count_and_mark(Counted token, std::atomic<bool>& ran) {
    ran = true;
    co_return token.value;
}

// An executor whose post always throws.
struct RefusingExecutor {
    template <class F>
    void post(F&&) {
        throw Boom();
    }
};

} // namespace

TEST_SUITE("coro") {
    TEST_CASE("a spawned task starts in a copy of the spawner's context taken at the spawn") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        ThreadPool pool(2);
        std::latch spawner_has_set(1);
        var.set(1);
        JoinHandle<Observed> handle = spawn(pool, observe(var, spawner_has_set, pool));
        var.set(3); // after the spawn: the task must not see it
        spawner_has_set.count_down();
        const Observed seen = handle.join();
        CHECK(seen.at_start == 1);
        CHECK(seen.after_own_set == 2);
        CHECK(seen.after_hop == 2);
        CHECK(var.get() == 3); // the task's set stayed in the task
    }

    TEST_CASE("a task spawned in a given Context runs in that object, entered, and leaves its "
              "sets there") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        ThreadPool pool(2);
        Context context;
        context.run([&] { var.set(10); });
        var.set(1);
        const InContext seen =
            spawn(pool, set_in_given_context(var, context, pool), context).join();
        CHECK(seen.at_start == 10);
        CHECK(seen.entered_while_running);
        REQUIRE(context.get(var) != nullptr);
        CHECK(*context.get(var) == 20);
        CHECK(context.run([&] { return var.get(); }) == 20); // exited: enterable again
        CHECK(var.get() == 1);
    }

    TEST_CASE("a task spawned in an already entered Context ends with ContextEnteredError and "
              "never runs") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        ThreadPool pool(1);
        InlineExecutor here;
        Context context;
        std::atomic<bool> ran{false};
        context.run([&] {
            var.set(5);
            JoinHandle<void> on_pool = spawn(pool, mark_ran(ran), context);
            CHECK_THROWS_AS(on_pool.join(), ContextEnteredError);
            JoinHandle<void> inline_start = spawn(here, mark_ran(ran), context);
            CHECK(inline_start.done());
            CHECK_THROWS_AS(inline_start.join(), ContextEnteredError);
            // The run that had it entered still has it, current and entered.
            CHECK(var.get() == 5);
            CHECK_THROWS_AS(context.run([] {}), ContextEnteredError);
        });
        CHECK_FALSE(ran);
        CHECK(context.run([&] { return var.get(); }) == 5);
    }

    TEST_CASE("a spawned task's exception reaches join() and a co_await of its handle") {
        IsolatedFlow flow;
        ThreadPool pool(2);
        JoinHandle<int> joined = spawn(pool, hop_then_throw(pool));
        CHECK_THROWS_AS(joined.join(), Boom);

        JoinHandle<int> awaited = spawn(pool, hop_then_throw(pool));
        auto awaiter = [&]() -> Task<std::string> {
            try {
                co_await awaited;
            } catch (const Boom& e) {
                co_return e.what();
            }
            co_return "nothing thrown";
        };
        CHECK(sync_wait(awaiter()) == "boom");
    }

    TEST_CASE("a spawn whose post throws starts nothing and destroys the task") {
        IsolatedFlow flow;
        UnretrievedCapture capture;
        RefusingExecutor refusing;
        std::atomic<int> live{0};
        std::atomic<bool> ran{false};
        CHECK_THROWS_AS(spawn(refusing, count_and_mark(Counted(live, 1), ran)), Boom);
        CHECK_FALSE(ran);
        CHECK(live == 0);
        CHECK(capture.messages().empty());
        CHECK_THROWS_AS(spawn(refusing, Task<>()), std::logic_error); // nothing to post
    }

    TEST_CASE("a spawned task's result can be taken once") {
        IsolatedFlow flow;
        InlineExecutor here;
        JoinHandle<int> handle = spawn(here, throw_at_once());
        CHECK(handle.done());
        CHECK_THROWS_AS(handle.join(), Boom);
        CHECK(message_of<std::logic_error>([&] { handle.join(); }) ==
              "ctxvar::coro: the task's result was already taken");
        JoinHandle<int> moved = std::move(handle);
        CHECK_FALSE(static_cast<bool>(handle));
        CHECK_THROWS_AS(handle.join(), std::logic_error);
    }

    TEST_CASE("a finished task releases its context before join() returns") {
        IsolatedFlow flow;
        const ContextVar<Counted> var{"counted"};
        std::atomic<int> live{0};
        ThreadPool pool(2);
        JoinHandle<void> handle = spawn(pool, hold_values(var, live, pool));
        handle.join();
        CHECK(live == 0);
        CHECK(handle.done());
    }

    TEST_CASE("a finished task releases its context before a co_await of its handle resumes") {
        IsolatedFlow flow;
        const ContextVar<Counted> var{"counted"};
        std::atomic<int> live{0};
        ThreadPool pool(2);
        auto awaiter = [&]() -> Task<int> {
            JoinHandle<void> handle = spawn(pool, hold_values(var, live, pool));
            co_await handle;
            co_return live.load();
        };
        CHECK(sync_wait(awaiter()) == 0);
        CHECK(live == 0);
    }

    TEST_CASE("a dropped handle detaches its task: it runs to its end and its exception goes to "
              "the unretrieved-exception handler") {
        IsolatedFlow flow;
        UnretrievedCapture capture;
        {
            ThreadPool pool(2);
            std::latch handle_dropped(1);
            std::latch ended(1);
            {
                const JoinHandle<void> handle =
                    spawn(pool, wait_then_throw(handle_dropped, pool, ended));
            }
            handle_dropped.count_down(); // the task goes on only now that its handle is gone
            ended.wait();                // the task ran on to its end
        } // joins the pool's threads: the job in which the task ended has finished
        CHECK(capture.messages() == std::vector<std::string>{"detached boom"});
    }

    TEST_CASE("set_unretrieved_exception_handler returns the handler it replaces") {
        const ctxvar::coro::UnretrievedExceptionHandler mine = +[](std::exception_ptr) noexcept {};
        const auto previous = ctxvar::coro::set_unretrieved_exception_handler(mine);
        const bool had_one = previous != nullptr;
        const bool got_mine_back =
            ctxvar::coro::set_unretrieved_exception_handler(previous) == mine;
        CHECK(had_one);
        CHECK(got_mine_back);
    }

    TEST_CASE("a handle dropped after its task failed reports the exception at the drop") {
        IsolatedFlow flow;
        UnretrievedCapture capture;
        InlineExecutor here;
        {
            const JoinHandle<int> handle = spawn(here, throw_at_once());
            CHECK(handle.done());
            CHECK(capture.messages().empty()); // still retrievable
        }
        CHECK(capture.messages() == std::vector<std::string>{"boom"});
    }

    TEST_CASE("a task whose exception was joined or awaited, or that succeeded, reports nothing") {
        IsolatedFlow flow;
        UnretrievedCapture capture;
        std::atomic<bool> ran{false};
        {
            ThreadPool pool(2);
            JoinHandle<int> joined = spawn(pool, hop_then_throw(pool));
            CHECK_THROWS_AS(joined.join(), Boom);
            JoinHandle<int> awaited = spawn(pool, hop_then_throw(pool));
            auto awaiter = [&]() -> Task<bool> {
                try {
                    co_await awaited;
                } catch (const Boom&) {
                    co_return true;
                }
                co_return false;
            };
            CHECK(sync_wait(awaiter()));
            const JoinHandle<void> succeeded = spawn(pool, mark_ran(ran));
        }
        CHECK(ran);
        CHECK(capture.messages().empty());
    }
}
