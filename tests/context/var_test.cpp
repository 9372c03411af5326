// Tests of ContextVar: names and identity, get / get_if / get_or with and without a default, and
// the get-set-reset sequences of CPython's test_context_var_new_1 and test_context_getset_1/5.
#include "test_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

using namespace context_test;
using ctxvar::ContextVar;

TEST_SUITE("context") {
    TEST_CASE("a variable has the name it was given, read-only") {
        const ContextVar<int> c{"aaa"};
        CHECK(c.name() == "aaa");
        const ContextVar<std::string> d{"user", "anonymous"};
        CHECK(d.name() == "user");
        // Python raises AttributeError on `c.name = ...`; here the name is a const reference.
        static_assert(std::is_same_v<decltype(c.name()), const std::string&>);
    }

    TEST_CASE("two variables with the same name are different variables") {
        IsolatedFlow flow;
        ContextVar<int> a{"x"};
        ContextVar<int> b{"x"};
        CHECK_FALSE(a == b);

        a.set(1);
        CHECK(a.get() == 1);
        CHECK(b.get_if() == nullptr);
        ctxvar::Context ctx = ctxvar::copy_context();
        CHECK(ctx.size() == 1);
        CHECK(ctx.contains(a));
        CHECK_FALSE(ctx.contains(b));

        b.set(2);
        CHECK(a.get() == 1);
        CHECK(b.get() == 2);
        CHECK(ctxvar::copy_context().size() == 2);
    }

    TEST_CASE("copies of a variable handle name the same variable") {
        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        ContextVar<int> other{"a"};
        ContextVar<int> a2 = a;
        CHECK(a2 == a);
        CHECK_FALSE(a2 == other);

        auto token = a2.set(5);
        CHECK(a.get() == 5);
        CHECK(token.var() == a);
        a.reset(token); // a token of one handle resets through another
        CHECK(a2.get_if() == nullptr);
    }

    TEST_CASE("get of a variable without value or default throws LookupError naming it") {
        IsolatedFlow flow;
        const ContextVar<int> c{"c"};
        CHECK_THROWS_WITH_AS(c.get(), "<ContextVar name='c'>", ctxvar::LookupError);
        CHECK_THROWS_AS(c.get(), std::out_of_range); // LookupError's standard base
        CHECK(c.get_if() == nullptr);
        CHECK(c.get_or(7) == 7);
        CHECK_FALSE(flow_has_context()); // reading creates no context object
    }

    TEST_CASE("a variable reads its default until set, and again after the set is reset") {
        IsolatedFlow flow;
        ContextVar<std::string> user{"user", "anonymous"};
        CHECK(user.get() == "anonymous");
        REQUIRE(user.get_if() != nullptr);
        CHECK(*user.get_if() == "anonymous");
        CHECK(&user.get() == user.get_if()); // the default is one stored object

        auto token = user.set("ann");
        CHECK(user.get() == "ann");
        user.reset(token);
        CHECK(user.get() == "anonymous");
    }

    TEST_CASE("get_or's fallback wins over the variable's default, as Python's get(default)") {
        IsolatedFlow flow;
        ContextVar<int> c{"c", 42};
        CHECK(c.get() == 42);
        CHECK(c.get_or(0) == 0);
        c.set(5);
        CHECK(c.get_or(0) == 5);
        CHECK(c.get() == 5);
    }

    TEST_CASE("get and get_if return the stored object, const") {
        IsolatedFlow flow;
        ContextVar<std::vector<int>> v{"v"};
        static_assert(std::is_same_v<decltype(v.get()), const std::vector<int>&>);
        static_assert(std::is_same_v<decltype(v.get_if()), const std::vector<int>*>);
        static_assert(noexcept(v.get_if()));

        v.set(std::vector<int>{1, 2, 3});
        CHECK(&v.get() == v.get_if());
        CHECK(v.get() == std::vector<int>{1, 2, 3});
        CHECK(ctxvar::copy_context().get(v) == v.get_if()); // the context holds that object
    }

    TEST_CASE("set takes lvalues and rvalues, and emplace constructs from arguments") {
        IsolatedFlow flow;
        ContextVar<std::string> s{"s"};
        const std::string lvalue = "lvalue";
        s.set(lvalue);
        CHECK(s.get() == "lvalue");
        s.set(std::string("rvalue"));
        CHECK(s.get() == "rvalue");
        s.emplace(3u, 'z');
        CHECK(s.get() == "zzz");
    }

    TEST_CASE("get, set and reset follow CPython's test_context_getset_1") {
        IsolatedFlow flow;
        ContextVar<std::string> c{"c"};
        CHECK_THROWS_AS(c.get(), ctxvar::LookupError);
        CHECK(c.get_if() == nullptr);

        auto t0 = c.set("42");
        CHECK(c.get() == "42");
        CHECK(c.get_or("none") == "42");
        CHECK(t0.old_value() == nullptr); // Token.MISSING
        CHECK(t0.var() == c);

        auto t = c.set("spam");
        CHECK(c.get() == "spam");
        REQUIRE(t.old_value() != nullptr);
        CHECK(*t.old_value() == "42");
        c.reset(t);
        CHECK(c.get() == "42");

        c.set("spam2");
        CHECK_THROWS_AS(c.reset(t), ctxvar::TokenReusedError);
        CHECK(c.get() == "spam2");

        const ctxvar::Context ctx1 = ctxvar::copy_context();
        CHECK(ctx1.contains(c));

        c.reset(t0); // not in stack order: unsets the variable
        CHECK_THROWS_AS(c.reset(t0), ctxvar::TokenReusedError);
        CHECK(c.get_if() == nullptr);

        CHECK(ctx1.contains(c));
        CHECK(ctx1.at(c) == "spam2");
        REQUIRE(ctx1.get(c) != nullptr);
        CHECK(*ctx1.get(c) == "spam2");
        CHECK(ctx1.size() == 1);
        int items = 0;
        for (auto&& item : ctx1) {
            CHECK(item.is(c));
            CHECK(item.get<std::string>() == "spam2");
            ++items;
        }
        CHECK(items == 1);

        const ctxvar::Context ctx2 = ctxvar::copy_context();
        CHECK_FALSE(ctx2.contains(c));
        CHECK_THROWS_AS(ctx2.at(c), ctxvar::LookupError);
        CHECK(ctx2.get(c) == nullptr);
        CHECK(ctx2.size() == 0);
        CHECK(ctx2.empty());
        CHECK(ctx2.begin() == ctx2.end());
    }

    TEST_CASE("a value set in a copy leaves the outer value alone (test_context_getset_5)") {
        IsolatedFlow flow;
        ContextVar<std::vector<int>> c{"c", std::vector<int>{7}};
        c.set(std::vector<int>{});

        ctxvar::copy_context().run([&] {
            c.set(std::vector<int>{42}); // values are immutable: Python's append becomes a set
            CHECK(c.get() == std::vector<int>{42});
        });
        CHECK(c.get().empty());
    }

    TEST_CASE("a const variable can be set, reset and scoped: they change the context") {
        IsolatedFlow flow;
        const ContextVar<int> v{"v", 0};
        auto token = v.set(1);
        CHECK(v.get() == 1);
        {
            auto scope = v.scoped(2);
            CHECK(v.get() == 2);
        }
        CHECK(v.get() == 1);
        v.reset(token);
        CHECK(v.get() == 0);
        static_cast<void>(v.emplace(3));
        CHECK(v.get() == 3);
    }

    TEST_CASE("a moved-from variable handle still names the variable") {
        IsolatedFlow flow;
        ContextVar<int> v{"v", 5};
        ContextVar<int> w = std::move(v);
        static_cast<void>(v.set(1)); // NOLINT(bugprone-use-after-move): defined on purpose
        CHECK(v.name() == "v");
        CHECK(w.get() == 1);
        CHECK(v == w);
        ContextVar<int> x{"x"};
        x = std::move(w);
        CHECK(x == v);
        CHECK(w.get() == 1);
    }
}
