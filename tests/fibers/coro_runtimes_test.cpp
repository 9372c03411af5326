// ctxvar::coro tasks resumed by the other runtimes: a task suspended on an awaitable of its own
// and resumed from inside a greenlet or a Boost.Fiber fiber runs in its own context there, and
// the greenlet's or fiber's context comes back untouched when resume() returns (the same object,
// the same contents); the task never sees the resumer's values, the resumer never sees the
// task's (task.hpp). Also tasks spawned inside a greenlet or a fiber, and tasks that hop to a
// ThreadPool and come home into a greenlet or a fiber.
//
// The greenlet cases run in every build, ThreadSanitizer's included; the Boost.Fiber ones are
// BOOST_FIBER_TEST_CASEs in the "boost_fiber" suite, excluded under ThreadSanitizer with the
// reason printed (boost_fiber_support.hpp). No exception is thrown inside a Boost fiber unless a
// check fails (AddressSanitizer, see fiber_migration_test.cpp).
#include "boost_fiber_support.hpp"
#include "to_parent.hpp"

#include <ctxvar/coro.hpp>
#include <ctxvar/ctxvar.hpp>
#include <ctxvar/fibers/greenlet.hpp>
#include <ctxvar/fibers/scheduler.hpp>

#include <boost/fiber/all.hpp>
#include <doctest/doctest.h>

#include <any>
#include <condition_variable>
#include <coroutine>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace bf = boost::fibers;
using ctxvar::coro::InlineExecutor;
using ctxvar::coro::JoinHandle;
using ctxvar::coro::ResumeJob;
using ctxvar::coro::Task;
using ctxvar::coro::ThreadPool;
using ctxvar::fibers::Greenlet;
using fibers_test::on_fiber_thread;
using fibers_test::to_parent;

namespace {

ctxvar::ContextVar<int> number("coro_runtimes_number", -1);
ctxvar::ContextVar<std::string> label("coro_runtimes_label", "-");
// Set only by resumers (greenlets, fibers, the main flow) after the task has started: the task
// must never see it.
ctxvar::ContextVar<int> resumer_only("coro_runtimes_resumer_only", -1);
// Set only by tasks: a resumer must never see it.
ctxvar::ContextVar<int> task_only("coro_runtimes_task_only", -1);

// What the current flow sees: "number/label/resumer_only/task_only".
std::string state() {
    return std::to_string(number.get()) + "/" + label.get() + "/" +
           std::to_string(resumer_only.get()) + "/" + std::to_string(task_only.get());
}

// What a Parking's await_suspend returns: void, bool (true: stay suspended) or a coroutine
// handle (std::noop_coroutine(): back to the resumer). The task takes its context down before
// its await_suspend runs and puts it back up when it resumes, for all three (task.hpp).
struct ReturnsVoid {};
struct ReturnsBool {};
struct ReturnsHandle {};

// A manual awaitable: a task that awaits wait() suspends, and its coroutine handle waits here
// until some flow calls resume(). Its await_suspend records the `number` it sees: the task's
// context is down by then, so it is the value of whoever resumed the task last (task.hpp).
template <class Returns = ReturnsVoid>
class BasicParking {
  public:
    struct Awaiter {
        BasicParking* parking;
        bool await_ready() const noexcept { return false; }
        auto await_suspend(std::coroutine_handle<> handle) {
            parking->seen_in_await_suspend.push_back(number.get());
            parking->handle_ = handle;
            if constexpr (std::is_same_v<Returns, ReturnsBool>) {
                return true;
            } else if constexpr (std::is_same_v<Returns, ReturnsHandle>) {
                return std::coroutine_handle<>(std::noop_coroutine());
            }
        }
        void await_resume() const noexcept {}
    };
    Awaiter wait() noexcept { return Awaiter{this}; }

    bool parked() const noexcept { return static_cast<bool>(handle_); }

    // Resumes the parked task in the calling flow; it runs until it parks again or ends.
    void resume() {
        if (!handle_) {
            FAIL_CHECK("Parking::resume: nothing is parked");
            return;
        }
        std::exchange(handle_, nullptr).resume();
    }

    std::vector<int> seen_in_await_suspend;

  private:
    std::coroutine_handle<> handle_;
};
using Parking = BasicParking<>;

// Parks `suspensions` times; before each it sets its own values (100, 101, ...), after each it
// records what it sees, whoever resumed it; sets task_only once more at the end. Returns the
// last value of `number` it set.
template <class Returns>
Task<int> parking_task(BasicParking<Returns>& parking, int suspensions,
                       std::vector<std::string>& seen) {
    label.set("task");
    for (int i = 0; i < suspensions; ++i) {
        number.set(100 + i);
        task_only.set(100 + i);
        co_await parking.wait();
        seen.push_back(state());
    }
    task_only.set(100 + suspensions); // a set after the last resumption, in the last resumer
    co_return number.get();
}

// The states parking_task records: "100/task/-1/100", "101/task/-1/101", ...
std::vector<std::string> parking_states(int suspensions) {
    std::vector<std::string> states;
    for (int i = 0; i < suspensions; ++i) {
        states.push_back(std::to_string(100 + i) + "/task/-1/" + std::to_string(100 + i));
    }
    return states;
}

// An Executor whose jobs wait in a queue until some flow takes and runs them (thread-safe).
class JobQueue {
  public:
    // Notifies under the lock: the job may run, and its runner destroy the queue, as soon as the
    // lock is released.
    void post(ResumeJob job) {
        std::lock_guard lock(mutex_);
        jobs_.push_back(job);
        ready_.notify_all();
    }
    // Blocks the calling thread until a job is there.
    ResumeJob take() {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return !jobs_.empty(); });
        ResumeJob job = jobs_.front();
        jobs_.pop_front();
        return job;
    }

  private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<ResumeJob> jobs_;
};

// A JobQueue's Executor handle (small and copyable, for a task to keep in its frame).
struct QueueExecutor {
    JobQueue* queue;
    void post(ResumeJob job) const { queue->post(job); }
};

// An Executor that posts into a Boost.Fiber channel, from any thread: the fiber that pops a job
// runs it, so the task resumes inside that fiber.
struct FiberExecutor {
    bf::buffered_channel<ResumeJob>* channel;
    void post(ResumeJob job) const {
        if (channel->push(job) != bf::channel_op_status::success) {
            throw std::runtime_error("FiberExecutor: the channel is closed");
        }
    }
};

// Sets its own values, hops to `pool`, records what it sees there, sets another value, hops to
// `home`, records what it sees there (with the thread: "@pool" off the starting thread, "@home"
// on it). Returns the last value it set.
template <class Home>
Task<int> hopping_task(ThreadPool& pool, Home home, int base, std::vector<std::string>& seen) {
    const std::thread::id home_thread = std::this_thread::get_id();
    auto where = [&] { return std::this_thread::get_id() == home_thread ? "@home" : "@pool"; };
    label.set("task");
    number.set(base);
    task_only.set(base);
    co_await ctxvar::coro::resume_on(pool);
    seen.push_back(state() + where());
    number.set(base + 1);
    co_await ctxvar::coro::resume_on(home);
    seen.push_back(state() + where());
    co_return number.get();
}

} // namespace

TYPE_TO_STRING(ReturnsVoid);
TYPE_TO_STRING(ReturnsBool);
TYPE_TO_STRING(ReturnsHandle);

TEST_SUITE("coro_runtimes") {

    TEST_CASE_TEMPLATE("a task resumed inside two greenlets in turn leaves each greenlet's "
                       "context untouched",
                       Returns, ReturnsVoid, ReturnsBool, ReturnsHandle) {
        // Started inline by the main greenlet, the task parks; greenlet g1 (number 10) resumes
        // it, it parks again; greenlet g2 (number 20) resumes it and it ends there.
        number.set(1);
        label.set("main");
        const std::shared_ptr<Greenlet> main = Greenlet::current();
        const std::optional<ctxvar::Context> main_context = main->context();
        REQUIRE(main_context.has_value());
        const ctxvar::Context main_before = main_context->copy();

        BasicParking<Returns> parking;
        std::vector<std::string> seen;
        InlineExecutor inline_executor;
        JoinHandle<int> handle =
            ctxvar::coro::spawn(inline_executor, parking_task(parking, 2, seen));
        REQUIRE(parking.parked());
        CHECK(state() == "1/main/-1/-1");
        CHECK(main->context()->is(*main_context));

        // A greenlet that sets its own values, resumes the task once, checks its context, and
        // pauses (to_parent) so that the main greenlet can look at its context from outside.
        auto resumer = [&parking](int value, std::string name,
                                  std::optional<ctxvar::Context>& inside) {
            return Greenlet::create([&parking, value, name, &inside](std::any) {
                number.set(value);
                label.set(name);
                resumer_only.set(value);
                inside = Greenlet::current()->context();
                REQUIRE(inside.has_value());
                const ctxvar::Context before = inside->copy();
                const std::string expected =
                    std::to_string(value) + "/" + name + "/" + std::to_string(value) + "/-1";
                CHECK(state() == expected);
                parking.resume(); // the task runs here, on this greenlet's stack
                CHECK(state() == expected);
                const std::optional<ctxvar::Context> after = Greenlet::current()->context();
                REQUIRE(after.has_value());
                CHECK(after->is(*inside)); // the same object
                CHECK(*after == before);   // with the same contents
                to_parent();
                CHECK(state() == expected); // and still, after the switches
            });
        };

        std::optional<ctxvar::Context> g1_inside;
        const std::shared_ptr<Greenlet> g1 = resumer(10, "g1", g1_inside);
        g1->switch_to();
        CHECK(seen == parking_states(1));
        CHECK(parking.parked());
        CHECK_FALSE(handle.done());
        CHECK(state() == "1/main/-1/-1");
        CHECK(main->context()->is(*main_context));
        CHECK(*main->context() == main_before);
        const std::optional<ctxvar::Context> g1_context = g1->context();
        REQUIRE(g1_context.has_value());
        REQUIRE(g1_inside.has_value());
        CHECK(g1_context->is(*g1_inside));
        CHECK(g1_context->at(number) == 10);
        CHECK(g1_context->at(label) == "g1");
        CHECK_FALSE(g1_context->contains(task_only));

        std::optional<ctxvar::Context> g2_inside;
        const std::shared_ptr<Greenlet> g2 = resumer(20, "g2", g2_inside);
        g2->switch_to();
        CHECK(seen == parking_states(2));
        CHECK_FALSE(parking.parked());
        CHECK(handle.done()); // it ended inside g2
        CHECK(handle.join() == 101);
        // await_suspend ran in the resumer's context: the main greenlet's at the start, g1's at
        // the second suspension.
        CHECK(parking.seen_in_await_suspend == std::vector<int>{1, 10});
        const std::optional<ctxvar::Context> g2_context = g2->context();
        REQUIRE(g2_context.has_value());
        REQUIRE(g2_inside.has_value());
        CHECK(g2_context->is(*g2_inside));
        CHECK(g2_context->at(number) == 20);
        CHECK_FALSE(g2_context->contains(task_only));
        CHECK(g1->context()->is(*g1_inside)); // g1's, untouched by the task's end in g2
        CHECK(g1->context()->at(number) == 10);

        g1->switch_to(); // both finish
        g2->switch_to();
        CHECK(g1->dead());
        CHECK(g2->dead());
        CHECK(state() == "1/main/-1/-1");
        CHECK(main->context()->is(*main_context));
        CHECK(*main->context() == main_before);
    }

    TEST_CASE("a task spawned inside a greenlet and resumed by the main greenlet: each sees "
              "its own") {
        // The greenlet (number 10) spawns the task inline (a copy of its context); the task
        // parks; the main greenlet (number 1) resumes it and it parks again; the greenlet
        // resumes it and it ends there.
        number.set(1);
        label.set("main");
        const std::optional<ctxvar::Context> main_context = Greenlet::current()->context();
        REQUIRE(main_context.has_value());
        Parking parking;
        std::vector<std::string> seen;
        JoinHandle<int> handle;
        std::optional<ctxvar::Context> inside;

        const std::shared_ptr<Greenlet> spawner = Greenlet::create([&](std::any) {
            number.set(10);
            label.set("g");
            inside = Greenlet::current()->context();
            InlineExecutor inline_executor;
            handle = ctxvar::coro::spawn(inline_executor, parking_task(parking, 2, seen));
            resumer_only.set(10); // after the spawn: the task's copy does not have it
            CHECK(parking.parked());
            CHECK(seen.empty());
            CHECK(state() == "10/g/10/-1");
            CHECK(Greenlet::current()->context()->is(*inside));
            to_parent();
            CHECK(state() == "10/g/10/-1");
            parking.resume(); // the task ends here
            CHECK(state() == "10/g/10/-1");
            CHECK(Greenlet::current()->context()->is(*inside));
        });
        spawner->switch_to();
        CHECK(state() == "1/main/-1/-1");
        parking.resume();
        CHECK(seen == parking_states(1));
        CHECK(state() == "1/main/-1/-1");
        CHECK(Greenlet::current()->context()->is(*main_context));
        CHECK(parking.parked());
        CHECK_FALSE(handle.done());
        REQUIRE(inside.has_value());
        CHECK(spawner->context()->is(*inside));
        CHECK(spawner->context()->at(number) == 10);
        CHECK_FALSE(spawner->context()->contains(task_only));

        spawner->switch_to();
        CHECK(spawner->dead());
        CHECK(seen == parking_states(2));
        CHECK(handle.done());
        CHECK(handle.join() == 101);
        // The spawner's context at the first suspension (the task started inline there), then
        // the main greenlet's.
        CHECK(parking.seen_in_await_suspend == std::vector<int>{10, 1});
        CHECK(state() == "1/main/-1/-1");
        CHECK(Greenlet::current()->context()->is(*main_context));
    }

    TEST_CASE("a greenlet with no context yet resumes a task and still has none") {
        // The task's sets land in the task's own context: the greenlet reads the defaults before
        // and after, and no context object is created for it.
        number.set(1);
        Parking parking;
        std::vector<std::string> seen;
        InlineExecutor inline_executor;
        JoinHandle<int> handle =
            ctxvar::coro::spawn(inline_executor, parking_task(parking, 2, seen));
        std::vector<bool> had_context;
        const std::shared_ptr<Greenlet> bare = Greenlet::create([&](std::any) {
            had_context.push_back(Greenlet::current()->context().has_value());
            parking.resume();
            had_context.push_back(Greenlet::current()->context().has_value());
            CHECK(state() == "-1/-/-1/-1");
            to_parent();
            parking.resume(); // the task ends here
            had_context.push_back(Greenlet::current()->context().has_value());
            CHECK(state() == "-1/-/-1/-1");
        });
        bare->switch_to();
        CHECK_FALSE(bare->context().has_value());
        CHECK(number.get() == 1);
        bare->switch_to();
        CHECK(bare->dead());
        CHECK(had_context == std::vector<bool>{false, false, false});
        CHECK(seen == parking_states(2));
        CHECK(handle.join() == 101);
        // The greenlet had no context when the task parked in it: the default.
        CHECK(parking.seen_in_await_suspend == std::vector<int>{1, -1});
        CHECK(number.get() == 1);
    }

    TEST_CASE("a greenlet inside Context::run resumes a task: the entered context keeps only "
              "its own values") {
        ctxvar::Context given;
        given.run([] { number.set(7); });
        number.set(1);
        Parking parking;
        std::vector<std::string> seen;
        InlineExecutor inline_executor;
        JoinHandle<int> handle =
            ctxvar::coro::spawn(inline_executor, parking_task(parking, 1, seen));
        const std::shared_ptr<Greenlet> runner = Greenlet::create([&](std::any) {
            given.run([&] {
                CHECK(number.get() == 7);
                parking.resume(); // the task ends here, inside the run
                CHECK(number.get() == 7);
                CHECK(task_only.get() == -1);
                number.set(8);
            });
        });
        runner->switch_to();
        CHECK(runner->dead());
        CHECK(seen == parking_states(1));
        CHECK(handle.join() == 100);
        CHECK(given.at(number) == 8);
        CHECK_FALSE(given.contains(task_only));
        CHECK_FALSE(given.contains(label));
        CHECK_NOTHROW(given.run([] {})); // the run exited: the context can be entered again
        CHECK(number.get() == 1);
    }

    TEST_CASE("a task hops from a greenlet to a ThreadPool and comes home into another "
              "greenlet") {
        // Greenlet a (number 10) spawns the task inline; the task hops to the pool, then to a
        // job queue that greenlet b (number 20) drains: the task ends inside b.
        number.set(1);
        JobQueue home; // outlives the pool: a pool thread may still be inside home.post
        ThreadPool pool(2);
        std::vector<std::string> seen;
        JoinHandle<int> handle;
        std::optional<ctxvar::Context> a_inside;
        const std::shared_ptr<Greenlet> a = Greenlet::create([&](std::any) {
            number.set(10);
            label.set("a");
            a_inside = Greenlet::current()->context();
            InlineExecutor inline_executor;
            handle = ctxvar::coro::spawn(inline_executor,
                                         hopping_task(pool, QueueExecutor{&home}, 50, seen));
            CHECK(state() == "10/a/-1/-1");
            CHECK(Greenlet::current()->context()->is(*a_inside));
            to_parent();
            CHECK(state() == "10/a/-1/-1");
        });
        a->switch_to();
        const std::shared_ptr<Greenlet> b = Greenlet::create([&](std::any) {
            number.set(20);
            label.set("b");
            resumer_only.set(20);
            const std::optional<ctxvar::Context> inside = Greenlet::current()->context();
            home.take()(); // blocks this thread until the task has left the pool
            CHECK(state() == "20/b/20/-1");
            CHECK(Greenlet::current()->context()->is(*inside));
        });
        b->switch_to();
        CHECK(b->dead());
        REQUIRE(handle.done()); // it ended inside b
        CHECK(handle.join() == 51);
        const std::vector<std::string> expected = {"50/task/-1/50@pool", "51/task/-1/50@home"};
        CHECK(seen == expected);
        CHECK(a->context()->is(*a_inside));
        CHECK(a->context()->at(number) == 10);
        a->switch_to();
        CHECK(a->dead());
        CHECK(number.get() == 1);
        CHECK(resumer_only.get() == -1);
        CHECK(task_only.get() == -1);
    }

} // TEST_SUITE

TEST_SUITE("boost_fiber") {

    BOOST_FIBER_TEST_CASE("coro: two fibers resume one task in turn; each fiber's context "
                          "untouched, the task's its own") {
        // round_robin with the context scheduler. The thread's main context (number 1) spawns
        // the task inline; fibers a (number 10) and b (number 20) take turns resuming it, one
        // suspension each, yielding between; it ends in b.
        on_fiber_thread<bf::algo::round_robin>([] {
            constexpr int rounds = 3;
            number.set(1);
            label.set("main");
            const ctxvar::Context main_before = ctxvar::copy_context();
            Parking parking;
            std::vector<std::string> seen;
            InlineExecutor inline_executor;
            JoinHandle<int> handle =
                ctxvar::coro::spawn(inline_executor, parking_task(parking, 2 * rounds, seen));
            int turn = 0; // even: a's turn, odd: b's
            auto resumer = [&](int me, int value, const std::string& name) {
                number.set(value);
                label.set(name);
                ctxvar::Token<int> token = resumer_only.set(value);
                const ctxvar::Context before = ctxvar::copy_context();
                const std::string expected =
                    std::to_string(value) + "/" + name + "/" + std::to_string(value) + "/-1";
                for (int round = 0; round < rounds; ++round) {
                    while (turn % 2 != me) {
                        boost::this_fiber::yield();
                        CHECK(state() == expected);
                    }
                    parking.resume(); // the task runs here, inside this fiber
                    CHECK(state() == expected);
                    CHECK(ctxvar::copy_context() == before);
                    ++turn;
                    boost::this_fiber::yield();
                    CHECK(state() == expected);
                }
                // The token resets only in the context object it was made in: still this one.
                CHECK_NOTHROW(resumer_only.reset(token));
                CHECK(resumer_only.get() == -1);
            };
            bf::fiber a([&] { resumer(0, 10, "a"); });
            bf::fiber b([&] { resumer(1, 20, "b"); });
            a.join();
            b.join();
            CHECK(turn == 2 * rounds);
            CHECK(seen == parking_states(2 * rounds));
            REQUIRE(handle.done()); // it ended inside b
            CHECK(handle.join() == 100 + 2 * rounds - 1);
            // await_suspend ran in the resumer's context: the main context's at the start, then
            // a's and b's in turn (the last resumption, b's, ended the task).
            CHECK(parking.seen_in_await_suspend == std::vector<int>{1, 10, 20, 10, 20, 10});
            CHECK(state() == "1/main/-1/-1");
            CHECK(ctxvar::copy_context() == main_before);
        });
    }

    BOOST_FIBER_TEST_CASE("coro: tasks started in fibers hop to a ThreadPool and back into "
                          "their fiber") {
        // Two fibers (number 10, 20) each spawn a task inline, which hops to a pool of two
        // threads, then posts its resumption into a channel that its fiber pops: the task ends
        // inside its fiber. The fibers' contexts are untouched throughout.
        ThreadPool pool(2);
        on_fiber_thread<bf::algo::round_robin>([&pool] {
            number.set(1);
            label.set("main");
            auto spawner = [&pool](int value, const std::string& name) {
                number.set(value);
                label.set(name);
                bf::buffered_channel<ResumeJob> channel(2);
                std::vector<std::string> seen;
                InlineExecutor inline_executor;
                JoinHandle<int> handle = ctxvar::coro::spawn(
                    inline_executor, hopping_task(pool, FiberExecutor{&channel}, value * 10, seen));
                // The task ran inline up to its hop; it has left for the pool.
                ctxvar::Token<int> token = resumer_only.set(value);
                const ctxvar::Context before = ctxvar::copy_context();
                const std::string expected =
                    std::to_string(value) + "/" + name + "/" + std::to_string(value) + "/-1";
                CHECK(state() == expected);
                ResumeJob job;
                CHECK(channel.pop(job) == bf::channel_op_status::success); // the other fiber runs
                CHECK(state() == expected);
                job(); // the task resumes in this fiber, and ends
                REQUIRE(handle.done());
                CHECK(handle.join() == value * 10 + 1);
                const std::vector<std::string> expected_seen = {
                    std::to_string(value * 10) + "/task/-1/" + std::to_string(value * 10) + "@pool",
                    std::to_string(value * 10 + 1) + "/task/-1/" + std::to_string(value * 10) +
                        "@home"};
                CHECK(seen == expected_seen);
                CHECK(state() == expected);
                CHECK(ctxvar::copy_context() == before);
                CHECK_NOTHROW(resumer_only.reset(token)); // still the same context object
            };
            bf::fiber a([&] { spawner(10, "a"); });
            bf::fiber b([&] { spawner(20, "b"); });
            a.join();
            b.join();
            CHECK(state() == "1/main/-1/-1");
        });
    }

} // TEST_SUITE
