// Tests of a Context's mapping view (size, contains, get, at, iteration and its items), of ==
// by contents and is() by identity (CPython's test_context_getset_1/3 and Python's Mapping).
#include "test_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/errors.hpp>

#include <doctest/doctest.h>

#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

using namespace context_test;
using ctxvar::Context;
using ctxvar::ContextVar;

namespace {

// A value type without ==: contexts compare its values by identity of the stored object.
struct NoEquality {
    int v;
};

} // namespace

TEST_SUITE("context") {
    TEST_CASE("the mapping view changes while running inside the context (getset_3)") {
        IsolatedFlow flow;
        ContextVar<int> c{"c", 42};
        const Context ctx;
        ctx.run([&] {
            CHECK(c.get() == 42);
            CHECK_THROWS_AS(ctx.at(c), ctxvar::LookupError);
            CHECK(ctx.get(c) == nullptr);
            CHECK_FALSE(ctx.contains(c));
            CHECK(ctx.size() == 0);
            CHECK(ctx.begin() == ctx.end());

            auto t = c.set(1);
            CHECK(ctx.size() == 1);
            CHECK(ctx.contains(c));
            CHECK(ctx.at(c) == 1);
            REQUIRE(ctx.begin() != ctx.end());
            CHECK((*ctx.begin()).is(c));

            c.reset(t);
            CHECK(ctx.size() == 0);
            CHECK_FALSE(ctx.contains(c));
            CHECK_THROWS_AS(ctx.at(c), ctxvar::LookupError);
            CHECK(ctx.begin() == ctx.end());
        });
    }

    TEST_CASE("at of a variable the context does not hold throws LookupError naming it") {
        IsolatedFlow flow;
        ContextVar<int> x{"x"};
        const Context ctx;
        CHECK_THROWS_WITH_AS(ctx.at(x), "<ContextVar name='x'>", ctxvar::LookupError);
        CHECK_THROWS_AS(ctx.at(x), std::out_of_range);
    }

    TEST_CASE("the mapping view ignores variables' defaults") {
        IsolatedFlow flow;
        ContextVar<int> with_default{"d", 5};
        ContextVar<int> set_to_default{"s", 5};
        set_to_default.set(5);
        const Context ctx = ctxvar::copy_context();
        CHECK(with_default.get() == 5);
        CHECK_FALSE(ctx.contains(with_default));
        CHECK(ctx.get(with_default) == nullptr);
        CHECK_THROWS_AS(ctx.at(with_default), ctxvar::LookupError);
        CHECK(ctx.contains(set_to_default)); // a value equal to the default is still a value
        CHECK(ctx.size() == 1);
    }

    TEST_CASE("iteration yields each variable with its value exactly once") {
        IsolatedFlow flow;
        std::vector<ContextVar<int>> ints;
        for (int i = 0; i != 40; ++i) {
            ints.emplace_back("i" + std::to_string(i));
            ints.back().set(i * 10);
        }
        ContextVar<std::string> text{"text"};
        text.set("hello");
        ContextVar<int> unset{"unset"};

        const Context ctx = ctxvar::copy_context();
        CHECK(ctx.size() == 41);
        std::map<std::string, int> seen_ints;
        int seen_text = 0;
        for (auto&& item : ctx) {
            CHECK_FALSE(item.is(unset));
            if (item.is(text)) {
                CHECK(item.name() == "text");
                CHECK(item.type() == typeid(std::string));
                CHECK(item.get<std::string>() == "hello");
                ++seen_text;
                continue;
            }
            CHECK(item.type() == typeid(int));
            REQUIRE(item.get_if<int>() != nullptr);
            CHECK(seen_ints.emplace(item.name(), item.get<int>()).second); // once
        }
        CHECK(seen_text == 1);
        REQUIRE(seen_ints.size() == 40);
        for (int i = 0; i != 40; ++i) {
            CHECK(seen_ints.at("i" + std::to_string(i)) == i * 10);
        }
        CHECK(std::distance(ctx.begin(), ctx.end()) == 41);
    }

    TEST_CASE("an item's value is type-checked: get of another type throws, get_if gives null") {
        IsolatedFlow flow;
        ContextVar<int> n{"n"};
        n.set(3);
        const Context ctx = ctxvar::copy_context();
        REQUIRE(ctx.size() == 1);
        const auto item = *ctx.begin();
        CHECK(item.get<int>() == 3);
        CHECK(item.get_if<int>() == ctx.get(n)); // a view of the stored value, not a copy
        CHECK(item.get_if<double>() == nullptr);
        CHECK(item.get_if<long>() == nullptr);
        CHECK_THROWS_WITH_AS(static_cast<void>(item.get<double>()),
                             "<ContextVar name='n'> holds int, not double", std::invalid_argument);
        CHECK_THROWS_AS(static_cast<void>(item.get<std::string>()), std::invalid_argument);
        // cv-qualifiers name the same stored type
        CHECK(item.get_if<const int>() == ctx.get(n));
        CHECK(item.get<const int>() == 3);
    }

    TEST_CASE("an item tells which variable it belongs to, among variables of one name") {
        IsolatedFlow flow;
        ContextVar<int> first{"twin"};
        ContextVar<int> second{"twin"};
        first.set(1);
        second.set(2);
        const Context ctx = ctxvar::copy_context();
        int matched = 0;
        for (auto&& item : ctx) {
            CHECK(item.name() == "twin");
            CHECK(item.is(first) != item.is(second));
            CHECK(item.get<int>() == (item.is(first) ? 1 : 2));
            ++matched;
        }
        CHECK(matched == 2);
    }

    TEST_CASE("contexts holding the same variables with equal values are equal") {
        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        ContextVar<std::string> b{"b"};
        const Context x;
        const Context y;
        CHECK(x == y); // both empty
        x.run([&] {
            a.set(1);
            b.set("b");
        });
        y.run([&] { // other stored objects, set in the other order
            b.set(std::string("b"));
            a.set(1);
        });
        CHECK(x == y);
        CHECK(y == x);
        CHECK_FALSE(x != y);
        CHECK(x == x.copy());
    }

    TEST_CASE("contexts differing in a value or in their variables are unequal") {
        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        ContextVar<int> a_twin{"a"};
        const Context x;
        x.run([&] { a.set(1); });

        const Context other_value;
        other_value.run([&] { a.set(2); });
        CHECK(x != other_value);

        const Context other_var; // same name, same value, another variable
        other_var.run([&] { a_twin.set(1); });
        CHECK(x != other_var);

        const Context more = x.copy();
        more.run([&] { a_twin.set(1); });
        CHECK(x != more);
        CHECK(more != x);
        CHECK(x != Context());
    }

    TEST_CASE("values of a type without == are equal only when they are the same stored object") {
        IsolatedFlow flow;
        ContextVar<NoEquality> v{"v"};
        const Context x;
        x.run([&] { v.set(NoEquality{1}); });
        const Context copy = x.copy(); // shares the stored object
        CHECK(x == copy);

        const Context y;
        y.run([&] { v.set(NoEquality{1}); }); // an equal-looking, different object
        CHECK(x != y);

        copy.run([&] { v.set(NoEquality{1}); });
        CHECK(x != copy);
    }

    TEST_CASE("is() is identity: handle copies are the same object, copies and equals are not") {
        IsolatedFlow flow;
        const Context ctx;
        const Context handle = ctx;
        const Context copy = ctx.copy();
        const Context empty;
        CHECK(ctx.is(ctx));
        CHECK(ctx.is(handle));
        CHECK(handle.is(ctx));
        CHECK_FALSE(ctx.is(copy));
        CHECK_FALSE(ctx.is(empty));
        CHECK(ctx == copy);
        CHECK(ctx == empty);
    }

    TEST_CASE("the context iterator is a forward iterator yielding items by value") {
        static_assert(std::forward_iterator<Context::iterator>);
        static_assert(std::is_same_v<std::iter_reference_t<Context::iterator>, Context::Item>);

        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        ContextVar<int> b{"b"};
        a.set(1);
        b.set(2);
        const Context ctx = ctxvar::copy_context();
        auto it = ctx.begin();
        const auto first = it++;
        CHECK(first == ctx.begin());
        CHECK(it != first);
        CHECK((*first).name() != (*it).name());
        ++it;
        CHECK(it == ctx.end());
    }
}
