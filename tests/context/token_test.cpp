// Tests of Token and ContextVar::reset: what a token records, CPython's three reset errors with
// their exact messages and their order, the context identity a token remembers, and resets out
// of stack order (CPython's test_context_getset_1/2/4 and test_token_repr_1).
#include "test_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

using namespace context_test;
using ctxvar::Context;
using ctxvar::ContextVar;

TEST_SUITE("context") {
    TEST_CASE("a token records its variable and the old value, nullptr meaning MISSING") {
        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        auto t1 = a.set(1);
        CHECK(t1.var() == a);
        CHECK(t1.var().name() == "a");
        CHECK(t1.old_value() == nullptr);
        CHECK_FALSE(t1.used());

        auto t2 = a.set(2);
        REQUIRE(t2.old_value() != nullptr);
        CHECK(*t2.old_value() == 1);
        CHECK(a.get() == 2);
    }

    TEST_CASE("a token is move-only") {
        static_assert(!std::is_copy_constructible_v<ctxvar::Token<int>>);
        static_assert(!std::is_copy_assignable_v<ctxvar::Token<int>>);
        static_assert(std::is_nothrow_move_constructible_v<ctxvar::Token<int>>);
        static_assert(std::is_nothrow_move_assignable_v<ctxvar::Token<int>>);
    }

    TEST_CASE("a token is used after its reset, and a second reset throws TokenReusedError") {
        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        auto t = a.set(1);
        a.reset(t);
        CHECK(t.used());
        CHECK(a.get_if() == nullptr);

        a.set(5);
        CHECK(message_of<ctxvar::TokenReusedError>([&] { a.reset(t); }) ==
              "<Token used var=<ContextVar name='a'>> has already been used once");
        CHECK(a.get() == 5); // the failed reset changed nothing
        CHECK_THROWS_AS(a.reset(t), std::logic_error);
    }

    TEST_CASE("reset with a token of another variable throws TokenMismatchError") {
        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        ContextVar<int> b{"b"};
        auto t = a.set(1);
        b.set(2);
        CHECK(message_of<ctxvar::TokenMismatchError>([&] { b.reset(t); }) ==
              "<Token var=<ContextVar name='a'>> was created by a different ContextVar");
        CHECK_THROWS_AS(b.reset(t), std::invalid_argument);
        CHECK_FALSE(t.used());
        CHECK(a.get() == 1);
        CHECK(b.get() == 2);

        ContextVar<int> same_name{"a"}; // a variable of the same name is another variable
        CHECK_THROWS_AS(same_name.reset(t), ctxvar::TokenMismatchError);
        a.reset(t); // still good for its own variable
        CHECK(a.get_if() == nullptr);
    }

    TEST_CASE("reset in another context throws TokenMismatchError (test_context_getset_4)") {
        IsolatedFlow flow;
        ContextVar<int> c{"c", 42};
        const ctxvar::Context ctx;
        auto tok = ctx.run([&] { return c.set(1); });
        CHECK(c.get() == 42);

        CHECK(message_of<ctxvar::TokenMismatchError>([&] { c.reset(tok); }) ==
              "<Token var=<ContextVar name='c'>> was created in a different Context");
        CHECK_FALSE(tok.used());
        CHECK(c.get() == 42);
        CHECK(ctx.at(c) == 1);

        // The same context object, run again later, accepts it.
        ctx.run([&] {
            c.reset(tok);
            CHECK(c.get() == 42);
        });
        CHECK(tok.used());
        CHECK_FALSE(ctx.contains(c));
    }

    TEST_CASE("a token is refused in a copy of the context it was made in") {
        IsolatedFlow flow;
        ContextVar<int> c{"c"};
        const ctxvar::Context ctx;
        auto tok = ctx.run([&] { return c.set(1); });
        const ctxvar::Context copy = ctx.copy();
        CHECK(copy == ctx); // equal contents, another object

        CHECK_THROWS_WITH_AS(copy.run([&] { c.reset(tok); }),
                             "<Token var=<ContextVar name='c'>> was created in a different Context",
                             ctxvar::TokenMismatchError);
        CHECK(copy.at(c) == 1);
        CHECK_FALSE(tok.used());

        const ctxvar::Context same = ctx; // a handle copy is the same object
        same.run([&] { c.reset(tok); });
        CHECK_FALSE(ctx.contains(c));
        CHECK(copy.at(c) == 1);
    }

    TEST_CASE("a token is refused by every later context object, whatever storage it reuses") {
        IsolatedFlow flow;
        ContextVar<int> c{"c"};
        std::optional<Context> first{std::in_place};
        auto tok = first->run([&] { return c.set(1); });
        first.reset(); // its storage may be recycled for the contexts below
        for (int i = 0; i != 8; ++i) {
            const Context next;
            CHECK_THROWS_AS(next.run([&] { c.reset(tok); }), ctxvar::TokenMismatchError);
            CHECK_FALSE(tok.used());
        }
    }

    TEST_CASE("a token made in a flow's own context is refused by a flow with no context") {
        IsolatedFlow flow;
        ContextVar<int> c{"c"};
        auto tok = c.set(1); // creates this flow's context object
        {
            IsolatedFlow other; // a flow without any context
            CHECK_THROWS_WITH_AS(
                c.reset(tok),
                "<Token var=<ContextVar name='c'>> was created in a different Context",
                ctxvar::TokenMismatchError);
            CHECK_FALSE(flow_has_context()); // a failed reset creates no context object
        }
        c.reset(tok);
        CHECK(c.get_if() == nullptr);
    }

    TEST_CASE("a used token is reported before a variable mismatch") {
        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        ContextVar<int> b{"b"};
        auto t = a.set(1);
        a.reset(t);
        CHECK(message_of<ctxvar::TokenReusedError>([&] { b.reset(t); }) ==
              "<Token used var=<ContextVar name='a'>> has already been used once");
    }

    TEST_CASE("a used token is reported before a context mismatch") {
        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        auto t = a.set(1);
        a.reset(t);
        CHECK(message_of<ctxvar::TokenReusedError>([&] {
                  ctxvar::Context().run([&] { a.reset(t); });
              }) == "<Token used var=<ContextVar name='a'>> has already been used once");
    }

    TEST_CASE("a variable mismatch is reported before a context mismatch") {
        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        ContextVar<int> b{"b"};
        auto t = a.set(1);
        CHECK(message_of<ctxvar::TokenMismatchError>([&] {
                  ctxvar::Context().run([&] { b.reset(t); });
              }) == "<Token var=<ContextVar name='a'>> was created by a different ContextVar");
    }

    TEST_CASE("resets need not come in stack order") {
        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        auto t1 = a.set(1);
        auto t2 = a.set(2);
        auto t3 = a.set(3);

        a.reset(t1); // back to before t1: unset
        CHECK(a.get_if() == nullptr);
        a.reset(t3); // back to before t3
        CHECK(a.get() == 2);
        a.reset(t2); // back to before t2
        CHECK(a.get() == 1);
        CHECK(t1.used());
        CHECK(t2.used());
        CHECK(t3.used());
    }

    TEST_CASE("resets of different variables need not come in stack order") {
        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        ContextVar<std::string> b{"b"};
        auto ta = a.set(1);
        auto tb = b.set("x");
        a.reset(ta);
        CHECK(a.get_if() == nullptr);
        CHECK(b.get() == "x");
        b.reset(tb);
        CHECK(ctxvar::copy_context().empty());
    }

    TEST_CASE("a moved-from token counts as used and its var() throws std::logic_error") {
        IsolatedFlow flow;
        ContextVar<int> a{"a"};
        auto t = a.set(1);
        auto moved = std::move(t);
        CHECK(t.used()); // NOLINT(bugprone-use-after-move): the documented moved-from state
        CHECK_FALSE(moved.used());
        CHECK_THROWS_AS(static_cast<void>(t.var()), std::logic_error);
        CHECK(t.old_value() == nullptr);
        CHECK(message_of<ctxvar::TokenReusedError>([&] { a.reset(t); }) ==
              "<Token moved-from> has already been used once");
        CHECK(a.get() == 1);

        a.reset(moved);
        CHECK(a.get_if() == nullptr);

        auto t2 = a.set(2);
        auto target = a.set(3);
        target = std::move(t2); // move assignment: target now undoes the set of 2
        CHECK(t2.used());       // NOLINT(bugprone-use-after-move)
        REQUIRE(target.old_value() == nullptr);
        a.reset(target);
        CHECK(a.get_if() == nullptr);
    }

    TEST_CASE("a token's old value lives as long as the token") {
        IsolatedFlow flow;
        ContextVar<std::string> s{"s"};
        s.set(std::string(100, 'a'));
        auto t = s.set("b");
        s.set("c"); // the only context holding the first value lets it go
        REQUIRE(t.old_value() != nullptr);
        CHECK(*t.old_value() == std::string(100, 'a'));
    }
}
