// Tests of Generator<T>: by default it shares its consumer's context between steps, both ways;
// in_own_context() gives it a copy taken at the first step, with the consumer's context put back
// after every step (an exception's too); and its misuse.
#include "coro_helpers.hpp"

#include <ctxvar/context_var.hpp>
#include <ctxvar/coro.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

using namespace coro_test;
using ctxvar::ContextVar;
using ctxvar::coro::Generator;

namespace {

// Yields what it reads: before its own set, after it, and after the consumer's next set.
Generator<int> read_set_read(const ContextVar<int>& var, int own) {
    co_yield var.get();
    var.set(own);
    co_yield var.get();
    co_yield var.get();
}

// Yields a variable it never sets.
Generator<int> read_only(const ContextVar<int>& var) {
    for (;;) {
        co_yield var.get();
    }
}

Generator<int> set_then_throw(const ContextVar<int>& var, bool before_first_yield) {
    var.set(7);
    if (before_first_yield) {
        throw Boom();
    }
    co_yield 1;
    var.set(8);
    throw Boom();
}

Generator<int> hold_counted(const ContextVar<Counted>& var, std::atomic<int>& live) {
    var.set(Counted(live, 1));
    co_yield 1;
    co_yield 2;
}

Generator<std::string> count_up(int n) {
    for (int i = 0; i != n; ++i) {
        co_yield std::to_string(i);
    }
}

} // namespace

TEST_SUITE("coro") {
    TEST_CASE("a generator shares its consumer's context: each sees the other's sets between "
              "steps") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        Generator<int> generator = read_set_read(var, 2);
        var.set(1);
        auto it = generator.begin();
        REQUIRE(it != generator.end());
        CHECK(*it == 1); // the consumer's value, set before the first step
        ++it;
        CHECK(*it == 2);
        CHECK(var.get() == 2); // the generator's set is the consumer's
        var.set(3);
        ++it;
        CHECK(*it == 3); // and the consumer's set is the generator's
        ++it;
        CHECK(it == generator.end());
    }

    TEST_CASE("a generator in its own context starts from a copy taken at the first step and "
              "keeps its sets to itself") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        const ContextVar<int> untouched{"untouched", 0};
        Generator<int> generator = read_set_read(var, 20).in_own_context();
        var.set(1); // before the first step: in the copy
        auto it = generator.begin();
        CHECK(*it == 1);
        CHECK(var.get() == 1);
        ++it;
        CHECK(*it == 20);
        CHECK(var.get() == 1); // the consumer's context is back after the step
        var.set(3);
        ++it;
        CHECK(*it == 20); // the consumer's later set is not seen
        CHECK(var.get() == 3);
        ++it;
        CHECK(it == generator.end());
        CHECK(var.get() == 3);

        // Nor is a later set of a variable the generator never set (unlike PEP 568).
        Generator<int> reader = read_only(untouched).in_own_context();
        untouched.set(1);
        auto r = reader.begin();
        CHECK(*r == 1);
        untouched.set(2);
        ++r;
        CHECK(*r == 1);
        CHECK(untouched.get() == 2);
    }

    TEST_CASE("a generator in its own context gives the consumer's context back when it throws") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        var.set(1);
        SUBCASE("at the first step") {
            Generator<int> generator = set_then_throw(var, true).in_own_context();
            CHECK_THROWS_AS(generator.begin(), Boom);
            CHECK(var.get() == 1);
        }
        SUBCASE("at a later step") {
            Generator<int> generator = set_then_throw(var, false).in_own_context();
            auto it = generator.begin();
            CHECK(var.get() == 1);
            CHECK_THROWS_AS(++it, Boom);
            CHECK(var.get() == 1);
            CHECK(it == generator.end());
        }
        var.set(2); // the consumer's context is current and usable
        CHECK(var.get() == 2);
    }

    TEST_CASE("a generator sharing its consumer's context rethrows from the step, its sets "
              "kept") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        Generator<int> generator = set_then_throw(var, false);
        auto it = generator.begin();
        CHECK(var.get() == 7);
        CHECK_THROWS_AS(++it, Boom);
        CHECK(var.get() == 8);
    }

    TEST_CASE("a generator in its own context destroyed unfinished releases its context") {
        IsolatedFlow flow;
        const ContextVar<Counted> var{"counted"};
        std::atomic<int> live{0};
        {
            Generator<int> generator = hold_counted(var, live).in_own_context();
            auto it = generator.begin();
            CHECK(*it == 1);
            CHECK(live == 1);
            CHECK(var.get_if() == nullptr); // not in the consumer's context
        }
        CHECK(live == 0);
    }

    TEST_CASE("a generator in its own context works in a range-for loop") {
        IsolatedFlow flow;
        std::vector<std::string> seen;
        for (const std::string& value : count_up(3).in_own_context()) {
            seen.push_back(value);
        }
        CHECK(seen == std::vector<std::string>{"0", "1", "2"});
    }

    TEST_CASE("in_own_context() after the first step and a second begin() throw "
              "std::logic_error") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        Generator<int> generator = read_set_read(var, 2);
        auto it = generator.begin();
        CHECK(message_of<std::logic_error>([&] { (void)std::move(generator).in_own_context(); }) ==
              "ctxvar::coro::Generator: in_own_context() after the first step");
        CHECK(message_of<std::logic_error>([&] { (void)generator.begin(); }) ==
              "ctxvar::coro::Generator: begin() called twice");
        CHECK(*it == 0); // still usable
        ++it;
        CHECK(*it == 2);
    }
}
