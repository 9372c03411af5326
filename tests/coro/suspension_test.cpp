// Tests that every suspension of a task on an awaitable of another library hands the context over:
// the awaitable's await_suspend runs in the context of whoever resumed the task last, the task
// finds its own context whoever resumes it, and the resumer finds its own again afterwards. For
// await_suspend returning void, bool or a coroutine handle, for resumption from another thread,
// inline inside await_suspend, and from another thread before await_suspend returns.
#include "coro_helpers.hpp"

#include <ctxvar/context_var.hpp>
#include <ctxvar/coro.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <coroutine>
#include <exception>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

using namespace coro_test;
using ctxvar::coro::InlineExecutor;
using ctxvar::coro::JoinHandle;
using ctxvar::coro::resume_on;
using ctxvar::coro::spawn;
using ctxvar::coro::Task;
using ctxvar::coro::ThreadPool;
using Var = ctxvar::ContextVar<std::string>;

namespace {

// Where a parked task waits for someone to resume it, and what the awaitables' await_suspend saw.
struct Parking {
    const Var* var = nullptr;
    std::coroutine_handle<> parked;
    std::vector<std::string> seen_in_await_suspend;
};

enum class Returns { nothing, true_value, false_value, noop_handle };

// An awaitable of another library: await_suspend records the variable (so, the context it runs
// in), then parks the coroutine for someone else to resume, returning void, true or
// std::noop_coroutine(); or, returning false, lets it go on at once without suspending.
template <Returns R>
struct Park {
    Parking* parking;
    bool await_ready() const noexcept { return false; }
    auto await_suspend(std::coroutine_handle<> awaiting) {
        parking->seen_in_await_suspend.push_back(parking->var->get());
        if constexpr (R == Returns::nothing) {
            parking->parked = awaiting;
        } else if constexpr (R == Returns::true_value) {
            parking->parked = awaiting;
            return true;
        } else if constexpr (R == Returns::false_value) {
            return false;
        } else {
            parking->parked = awaiting;
            return std::noop_coroutine();
        }
    }
    void await_resume() const noexcept {}
};

template <Returns R>
Task<std::vector<std::string>> park_twice(const Var& var, Parking& parking) {
    std::vector<std::string> seen;
    var.set("task");
    co_await Park<R>{&parking};
    seen.push_back(var.get());
    var.set("task again");
    co_await Park<R>{&parking};
    seen.push_back(var.get());
    co_return seen;
}

// Resumes the parked task from a new thread that has its own value in the variable; returns what
// that thread reads after resume() has returned.
std::string resume_from_thread(Parking& parking, const std::string& value) {
    REQUIRE(parking.parked);
    std::string after;
    std::thread resumer([&] {
        parking.var->set(value);
        std::exchange(parking.parked, nullptr).resume();
        after = parking.var->get();
    });
    resumer.join();
    return after;
}

template <Returns R>
void check_parked_and_resumed_from_threads() {
    IsolatedFlow flow;
    const Var var{"var", "default"};
    Parking parking{&var, nullptr, {}};
    InlineExecutor here;
    var.set("main");
    JoinHandle<std::vector<std::string>> handle = spawn(here, park_twice<R>(var, parking));
    CHECK_FALSE(handle.done());
    CHECK(var.get() == "main");
    CHECK(resume_from_thread(parking, "resumer 1") == "resumer 1");
    CHECK_FALSE(handle.done());
    CHECK(resume_from_thread(parking, "resumer 2") == "resumer 2");
    CHECK(handle.done());
    CHECK(handle.join() == std::vector<std::string>{"task", "task again"});
    // Each await_suspend ran in the context of whoever had resumed the task last.
    CHECK(parking.seen_in_await_suspend == std::vector<std::string>{"main", "resumer 1"});
    CHECK(var.get() == "main");
}

// A coroutine of another library that records the variable and then transfers to `next`.
struct Probe {
    struct promise_type {
        std::coroutine_handle<> next = std::noop_coroutine();
        Probe get_return_object() noexcept {
            return Probe(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        auto final_suspend() noexcept {
            struct ToNext {
                bool await_ready() noexcept { return false; }
                std::coroutine_handle<>
                await_suspend(std::coroutine_handle<promise_type> self) noexcept {
                    return self.promise().next;
                }
                void await_resume() noexcept {}
            };
            return ToNext{};
        }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::terminate(); }
    };
    explicit Probe(std::coroutine_handle<promise_type> h) noexcept : handle(h) {}
    Probe(Probe&& other) noexcept : handle(std::exchange(other.handle, nullptr)) {}
    Probe& operator=(Probe&&) = delete;
    ~Probe() {
        if (handle) {
            handle.destroy();
        }
    }
    std::coroutine_handle<promise_type> handle;
};

Probe record_into(const Var& var, std::vector<std::string>& seen) {
    seen.push_back(var.get());
    co_return;
}

// An awaitable whose await_suspend returns the handle of a probe, which resumes the awaiting
// coroutine when it ends.
struct ThroughProbe {
    Probe probe;
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        probe.handle.promise().next = awaiting;
        return probe.handle;
    }
    void await_resume() const noexcept {}
};

Task<std::vector<std::string>> through_probes(const Var& var, Parking& parking,
                                              std::vector<std::string>& probe_saw) {
    std::vector<std::string> seen;
    var.set("task");
    // Named: g++ 12 destroys the Probe twice when the operand of co_await is an aggregate
    // temporary with a member that has a destructor.
    ThroughProbe first{record_into(var, probe_saw)};
    co_await first;
    seen.push_back(var.get());
    co_await Park<Returns::nothing>{&parking};
    seen.push_back(var.get());
    ThroughProbe second{record_into(var, probe_saw)};
    co_await second;
    seen.push_back(var.get());
    co_return seen;
}

// What the awaitables that resume the task early saw.
struct Report {
    std::string in_await_suspend;
    std::string after_resume_in_await_suspend;
    std::string other_thread_after_resume;
};

// Resumes the awaiting coroutine inline, before await_suspend returns. Once it has resumed it,
// *this may be gone (the coroutine may have ended): only locals are used after.
struct ResumeInline {
    const Var* var;
    Report* report;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> awaiting) {
        const Var* v = var;
        Report* r = report;
        r->in_await_suspend = v->get();
        awaiting.resume();
        r->after_resume_in_await_suspend = v->get();
    }
    void await_resume() const noexcept {}
};

// Hands the awaiting coroutine to a new thread, which resumes it (so the task runs on there,
// possibly to its end), and returns only once that resume() has returned.
struct ResumeOnAnotherThread {
    const Var* var;
    Report* report;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> awaiting) {
        const Var* v = var;
        Report* r = report;
        r->in_await_suspend = v->get();
        std::atomic<bool> resumed{false};
        std::thread other([&resumed, v, r, awaiting] {
            v->set("other thread");
            awaiting.resume();
            r->other_thread_after_resume = v->get();
            resumed.store(true);
            resumed.notify_one();
        });
        resumed.wait(false);
        other.join();
        r->after_resume_in_await_suspend = v->get();
    }
    void await_resume() const noexcept {}
};

template <class Awaitable>
Task<std::string> resumed_early(const Var& var, Report& report) {
    var.set("task");
    co_await Awaitable{&var, &report};
    std::string seen = var.get();
    var.set("task after");
    co_return seen + "|" + var.get();
}

template <class Awaitable>
Task<std::string> parent_of_resumed_early(const Var& var, Report& report) {
    var.set("parent");
    std::string child = co_await resumed_early<Awaitable>(var, report);
    co_return child + "|" + var.get(); // the child's set, in the shared context
}

// The parent suspends on a pool right after its child, which was resumed inline, has ended: the
// thread that resumed the child inline is still returning through the parent's await of the
// child when the pool's thread runs the parent on.
Task<std::string> parent_hopping_after_inline_child(const Var& var, Report& report,
                                                    ThreadPool& pool) {
    var.set("parent");
    std::string child = co_await resumed_early<ResumeInline>(var, report);
    co_await resume_on(pool);
    co_return child + "|" + var.get();
}

template <class Awaitable>
void check_resumed_early(bool through_a_parent, const std::string& expected_result) {
    IsolatedFlow flow;
    const Var var{"var", "default"};
    Report report;
    InlineExecutor here;
    var.set("main");
    JoinHandle<std::string> handle =
        through_a_parent ? spawn(here, parent_of_resumed_early<Awaitable>(var, report))
                         : spawn(here, resumed_early<Awaitable>(var, report));
    CHECK(handle.done());
    CHECK(handle.join() == expected_result);
    CHECK(report.in_await_suspend == "main");
    CHECK(report.after_resume_in_await_suspend == "main");
    if constexpr (std::is_same_v<Awaitable, ResumeOnAnotherThread>) {
        CHECK(report.other_thread_after_resume == "other thread");
    }
    CHECK(var.get() == "main");
}

struct ThrowingAwaitable {
    const Var* var;
    Report* report;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) {
        report->in_await_suspend = var->get();
        throw Boom();
    }
    void await_resume() const noexcept {}
};

Task<std::string> catch_await_suspend_throw(const Var& var, Report& report) {
    var.set("task");
    try {
        co_await ThrowingAwaitable{&var, &report};
    } catch (const Boom&) {
        co_return var.get();
    }
    co_return "nothing thrown";
}

// An executor whose post always throws.
struct RefusingExecutor {
    template <class F>
    void post(F&&) {
        throw Boom();
    }
};

struct AfterRefusal {
    bool caught = false;
    std::string value;
    std::thread::id thread;
};

Task<AfterRefusal> hop_to_refusing(const Var& var) {
    RefusingExecutor refusing;
    AfterRefusal after;
    var.set("task");
    try {
        co_await resume_on(refusing);
    } catch (const Boom&) {
        after.caught = true;
    }
    after.value = var.get();
    after.thread = std::this_thread::get_id();
    co_return after;
}

} // namespace

TEST_SUITE("coro") {
    TEST_CASE("a task parked by an await_suspend returning void and resumed by other threads "
              "sees its own values, and each resumer its own") {
        check_parked_and_resumed_from_threads<Returns::nothing>();
    }

    TEST_CASE("a task parked by an await_suspend returning true and resumed by other threads "
              "sees its own values, and each resumer its own") {
        check_parked_and_resumed_from_threads<Returns::true_value>();
    }

    TEST_CASE("a task parked by an await_suspend returning noop_coroutine() and resumed by other "
              "threads sees its own values, and each resumer its own") {
        check_parked_and_resumed_from_threads<Returns::noop_handle>();
    }

    TEST_CASE("an await_suspend returning false runs in the resumer's context and the task goes "
              "on in its own") {
        IsolatedFlow flow;
        const Var var{"var", "default"};
        Parking parking{&var, nullptr, {}};
        InlineExecutor here;
        var.set("main");
        JoinHandle<std::vector<std::string>> handle =
            spawn(here, park_twice<Returns::false_value>(var, parking));
        CHECK(handle.done());
        CHECK(handle.join() == std::vector<std::string>{"task", "task again"});
        CHECK(parking.seen_in_await_suspend == std::vector<std::string>{"main", "main"});
        CHECK_FALSE(parking.parked);
        CHECK(var.get() == "main");
    }

    TEST_CASE("an await_suspend returning another library's coroutine runs it in the resumer's "
              "context, and the task it resumes in its own") {
        IsolatedFlow flow;
        const Var var{"var", "default"};
        Parking parking{&var, nullptr, {}};
        std::vector<std::string> probe_saw;
        InlineExecutor here;
        var.set("main");
        JoinHandle<std::vector<std::string>> handle =
            spawn(here, through_probes(var, parking, probe_saw));
        CHECK_FALSE(handle.done());
        CHECK(var.get() == "main");
        CHECK(resume_from_thread(parking, "resumer") == "resumer");
        CHECK(handle.join() == std::vector<std::string>{"task", "task", "task"});
        CHECK(probe_saw == std::vector<std::string>{"main", "resumer"});
        CHECK(parking.seen_in_await_suspend == std::vector<std::string>{"main"});
        CHECK(var.get() == "main");
    }

    TEST_CASE("a task resumed inline inside await_suspend sees its own values, and the code "
              "after resume() the resumer's") {
        check_resumed_early<ResumeInline>(false, "task|task after");
    }

    TEST_CASE("a child task resumed inline inside await_suspend shares its parent's context, and "
              "the code after resume() sees the resumer's") {
        check_resumed_early<ResumeInline>(true, "task|task after|task after");
    }

    TEST_CASE("a parent that hops to a pool right after its child was resumed inline keeps its "
              "context on the pool's thread") {
        IsolatedFlow flow;
        const Var var{"var", "default"};
        Report report;
        InlineExecutor here;
        ThreadPool pool(1);
        var.set("main");
        JoinHandle<std::string> handle =
            spawn(here, parent_hopping_after_inline_child(var, report, pool));
        CHECK(var.get() == "main");
        CHECK(handle.join() == "task|task after|task after");
        CHECK(report.in_await_suspend == "main");
        CHECK(report.after_resume_in_await_suspend == "main");
        CHECK(var.get() == "main");
    }

    TEST_CASE("a task resumed by another thread and run to its end there before await_suspend "
              "returns sees its own values, and each thread its own") {
        check_resumed_early<ResumeOnAnotherThread>(false, "task|task after");
    }

    TEST_CASE("a child task resumed by another thread before await_suspend returns shares its "
              "parent's context, and each thread keeps its own") {
        check_resumed_early<ResumeOnAnotherThread>(true, "task|task after|task after");
    }

    TEST_CASE("an exception from a foreign await_suspend reaches the task in its own context") {
        IsolatedFlow flow;
        const Var var{"var", "default"};
        Report report;
        InlineExecutor here;
        var.set("main");
        JoinHandle<std::string> handle = spawn(here, catch_await_suspend_throw(var, report));
        CHECK(handle.join() == "task");
        CHECK(report.in_await_suspend == "main");
        CHECK(var.get() == "main");
    }

    TEST_CASE("resume_on an executor whose post throws goes on where it was and throws at the "
              "co_await") {
        IsolatedFlow flow;
        const Var var{"var", "default"};
        var.set("main");
        const AfterRefusal after = ctxvar::coro::sync_wait(hop_to_refusing(var));
        CHECK(after.caught);
        CHECK(after.value == "task");
        CHECK(after.thread == std::this_thread::get_id());
        CHECK(var.get() == "main");
    }
}
