// Tests of SharedValue and the sets without a token: get_shared() hands out the very object a
// context holds, set(shared) stores it again without copying T, and set(no_token, ...) binds.
#include "alloc_failure.hpp"
#include "test_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/shared_value.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <string>

using namespace context_test;
using ctxvar::ContextVar;
using ctxvar::SharedValue;

TEST_SUITE("context") {
    TEST_CASE("get_shared hands out the object the context holds, else the default, else none") {
        IsolatedFlow flow;
        ContextVar<std::string> plain{"plain"};
        ContextVar<std::string> with_default{"with_default", "dflt"};
        CHECK_FALSE(plain.get_shared());
        CHECK(with_default.get_shared().get() == with_default.get_if());
        CHECK(*with_default.get_shared() == "dflt");
        plain.set("x");
        const SharedValue<std::string> shared = plain.get_shared();
        REQUIRE(shared);
        CHECK(shared.get() == plain.get_if());
        CHECK(*shared == "x");
        CHECK(shared->size() == 1);
    }

    TEST_CASE("get_shared allocates nothing and creates no context") {
        IsolatedFlow flow;
        ContextVar<int> var{"v", 1};
        CHECK(allocations_in([&] { CHECK(var.get_shared()); }) == 0);
        CHECK_FALSE(flow_has_context());
    }

    TEST_CASE("set of a shared value stores that very object in another context, uncopied") {
        IsolatedFlow flow;
        std::atomic<int> live{0};
        ContextVar<Counted> var{"v"};
        var.set(Counted(live, 7));
        const SharedValue<Counted> shared = var.get_shared();
        CHECK(live == 1);
        ctxvar::Context other;
        other.run([&] {
            CHECK(var.get_if() == nullptr);
            ctxvar::Token<Counted> token = var.set(shared);
            CHECK(var.get_if() == shared.get());
            CHECK(live == 1); // no copy was made
            var.reset(token);
            CHECK(var.get_if() == nullptr);
            var.set(ctxvar::no_token, shared);
            // In place on an unshared path: nothing to allocate at all.
            CHECK(allocations_in([&] { var.set(ctxvar::no_token, shared); }) == 0);
        });
        CHECK(other.get(var) == shared.get());
        CHECK(live == 1);
    }

    TEST_CASE("set of an empty shared value throws and changes nothing") {
        IsolatedFlow flow;
        ContextVar<int> var{"v"};
        var.set(1);
        ctxvar::Context before = ctxvar::copy_context();
        CHECK_THROWS_WITH_AS(var.set(SharedValue<int>{}),
                             "cannot set <ContextVar name='v'> to an empty SharedValue",
                             std::invalid_argument);
        CHECK_THROWS_AS(var.set(ctxvar::no_token, SharedValue<int>{}), std::invalid_argument);
        CHECK(var.get() == 1);
        CHECK(ctxvar::copy_context() == before);
    }

    TEST_CASE("a shared value outlives every context that held it, and no more") {
        IsolatedFlow flow;
        std::atomic<int> live{0};
        ContextVar<Counted> var{"v"};
        SharedValue<Counted> kept;
        {
            ctxvar::Context ctx;
            ctx.run([&] {
                var.set(Counted(live, 1));
                kept = var.get_shared();
                CHECK_FALSE(kept.unique());
            });
        }
        CHECK(live == 1);
        CHECK(kept.unique());
        CHECK(kept->value == 1);
        kept = SharedValue<Counted>{};
        CHECK(live == 0);
    }

    TEST_CASE("make builds a value; handles compare by identity") {
        IsolatedFlow flow;
        const auto a = SharedValue<std::string>::make(3, 'a');
        const auto b = SharedValue<std::string>::make("aaa");
        const SharedValue<std::string> a2 = a;
        CHECK(*a == *b);
        CHECK_FALSE(a == b);
        CHECK(a == a2);
        CHECK(SharedValue<std::string>{} == SharedValue<std::string>{});
        ContextVar<std::string> var{"s"};
        var.set(ctxvar::no_token, b);
        CHECK(var.get_if() == b.get());
    }

    TEST_CASE("set and emplace without a token bind like set, creating the flow's context") {
        IsolatedFlow flow;
        ContextVar<std::string> var{"v"};
        CHECK_FALSE(flow_has_context());
        var.set(ctxvar::no_token, "first");
        CHECK(flow_has_context());
        CHECK(var.get() == "first");
        var.emplace(ctxvar::no_token, 3, 'z');
        CHECK(var.get() == "zzz");
        ctxvar::Context copy = ctxvar::copy_context();
        var.set(ctxvar::no_token, std::string("after the copy"));
        CHECK(copy.at(var) == "zzz");
        CHECK(var.get() == "after the copy");
    }

    TEST_CASE("a failed set without a token leaves the context as it was") {
        IsolatedFlow flow;
        ContextVar<std::string> var{"v"};
        ContextVar<int> other{"other"};
        var.set("kept");
        other.set(1);
        ctxvar::Context copy = ctxvar::copy_context(); // shared paths: the set must allocate
        long failures = 0;
        for (long n = 0;; ++n) {
            bool threw = false;
            {
                FailAfter fail(n);
                try {
                    var.set(ctxvar::no_token, std::string(100, 'n'));
                } catch (const std::bad_alloc&) {
                    threw = true;
                }
            }
            if (!threw) {
                break;
            }
            ++failures;
            CHECK(var.get() == "kept");
            CHECK(other.get() == 1);
        }
        CHECK(failures >= 2); // the string, the box, the trie path
        CHECK(var.get() == std::string(100, 'n'));
        CHECK(copy.at(var) == "kept");
    }
}
