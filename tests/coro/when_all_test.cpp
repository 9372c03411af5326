// Tests of when_all: each child in its own copy of the awaiter's context, results in argument
// order (tuple and vector forms, void as std::monostate), and exceptions: the first in argument
// order rethrown once every child has ended, the others reported as unretrieved.
#include "coro_helpers.hpp"

#include <ctxvar/context_var.hpp>
#include <ctxvar/coro.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <latch>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

using namespace coro_test;
using ctxvar::ContextVar;
using ctxvar::coro::resume_on;
using ctxvar::coro::sync_wait;
using ctxvar::coro::Task;
using ctxvar::coro::ThreadPool;
using ctxvar::coro::when_all;

namespace {

struct ChildSaw {
    int at_start = -1;
    int at_end = -1;
    friend bool operator==(const ChildSaw&, const ChildSaw&) = default;
};

// Reads the awaiter's value, sets its own, optionally hops (waiting for `gate` there), and reads
// again at its end.
Task<ChildSaw> sibling(const ContextVar<int>& var, int own, ThreadPool* pool, std::latch* gate) {
    ChildSaw saw;
    saw.at_start = var.get();
    var.set(own);
    if (pool != nullptr) {
        co_await resume_on(*pool);
        if (gate != nullptr) {
            gate->wait();
        }
    }
    saw.at_end = var.get();
    co_return saw;
}

Task<> void_sibling(const ContextVar<int>& var, std::latch& gate, int& saw) {
    saw = var.get();
    var.set(-2);
    gate.count_down(); // lets the first sibling end, after this one
    co_return;
}

Task<int> throw_after_gate(ThreadPool& pool, std::latch& gate, std::atomic<bool>& ended) {
    co_await resume_on(pool);
    gate.wait();
    ended = true;
    throw std::runtime_error("first in argument order");
    co_return 0;
}

Task<int> throw_at_once() {
    throw std::runtime_error("first in time");
    co_return 0;
}

Task<int> end_later(ThreadPool& pool, std::latch& gate, std::atomic<bool>& ended) {
    gate.count_down(); // after the second child has thrown
    co_await resume_on(pool);
    ended = true;
    co_return 3;
}

Task<int> identity(ThreadPool& pool, int n) {
    if (n % 2 == 0) {
        co_await resume_on(pool);
    }
    co_return n;
}

} // namespace

TEST_SUITE("coro") {
    TEST_CASE("when_all runs each child in its own copy of the awaiter's context and gives the "
              "results in argument order") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        ThreadPool pool(2);
        std::latch gate(1);
        int void_child_saw = -1;
        struct Seen {
            ChildSaw first;
            ChildSaw third;
            int awaiter_after = -1;
        };
        auto awaiter = [&]() -> Task<Seen> {
            var.set(100);
            auto all =
                when_all(sibling(var, 1, &pool, &gate), void_sibling(var, gate, void_child_saw),
                         sibling(var, 3, nullptr, nullptr));
            var.set(200); // when_all is lazy: its copies are taken when it is awaited
            std::tuple<ChildSaw, std::monostate, ChildSaw> results = co_await std::move(all);
            co_return Seen{std::get<0>(results), std::get<2>(results), var.get()};
        };
        const Seen seen = sync_wait(awaiter());
        CHECK(seen.first == ChildSaw{200, 1});
        CHECK(void_child_saw == 200);
        CHECK(seen.third == ChildSaw{200, 3});
        CHECK(seen.awaiter_after == 200);
        CHECK(var.get() == 0);
    }

    TEST_CASE("when_all of a vector gives the results in the vector's order, void as "
              "std::monostate") {
        IsolatedFlow flow;
        ThreadPool pool(2);
        std::vector<Task<int>> tasks;
        for (int n = 0; n != 8; ++n) {
            tasks.push_back(identity(pool, n));
        }
        CHECK(sync_wait(when_all(std::move(tasks))) == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});

        const ContextVar<int> var{"var", 0};
        std::latch gate(2);
        int saw_a = -1;
        int saw_b = -1;
        var.set(5);
        std::vector<Task<>> voids;
        voids.push_back(void_sibling(var, gate, saw_a));
        voids.push_back(void_sibling(var, gate, saw_b));
        const std::vector<std::monostate> nothing = sync_wait(when_all(std::move(voids)));
        CHECK(nothing.size() == 2);
        CHECK(saw_a == 5);
        CHECK(saw_b == 5); // not the first sibling's -2
        CHECK(var.get() == 5);
    }

    TEST_CASE("when_all rethrows the first exception in argument order once every child has "
              "ended, and reports the others as unretrieved") {
        IsolatedFlow flow;
        UnretrievedCapture capture;
        ThreadPool pool(2);
        std::latch gate(1);
        std::atomic<bool> first_ended{false};
        std::atomic<bool> third_ended{false};
        auto awaiter = [&]() -> Task<std::string> {
            try {
                co_await when_all(throw_after_gate(pool, gate, first_ended), throw_at_once(),
                                  end_later(pool, gate, third_ended));
            } catch (const std::runtime_error& e) {
                // Every child has ended by now.
                co_return std::string(e.what()) + (first_ended && third_ended ? "" : " early");
            }
            co_return "nothing thrown";
        };
        CHECK(sync_wait(awaiter()) == "first in argument order");
        CHECK(capture.messages() == std::vector<std::string>{"first in time"});
    }
}
