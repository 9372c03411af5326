// Tests of ContextVar::scoped, Python 3.14's `with var.set(value):` (CPython's
// test_token_contextmanager_* cases): the value is set for a scope and restored at its end,
// also during unwinding, and the scope's end never throws.
#include "test_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/errors.hpp>
#include <ctxvar/switch.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

using namespace context_test;
using ctxvar::Context;
using ctxvar::ContextVar;

TEST_SUITE("context") {
    TEST_CASE("a scoped value is neither copyable nor movable") {
        static_assert(!std::is_copy_constructible_v<ctxvar::ScopedValue<int>>);
        static_assert(!std::is_move_constructible_v<ctxvar::ScopedValue<int>>);
        static_assert(std::is_nothrow_destructible_v<ctxvar::ScopedValue<int>>);
    }

    TEST_CASE("scoped sets a value for the scope and restores the one before at its end") {
        IsolatedFlow flow;
        ContextVar<int> c{"c", 42};
        {
            auto scope = c.scoped(36);
            CHECK(c.get() == 36);
            {
                auto inner = c.scoped(12);
                CHECK(c.get() == 12);
            }
            CHECK(c.get() == 36);
        }
        CHECK(c.get() == 42);
        CHECK_FALSE(ctxvar::copy_context().contains(c)); // restored to "unset", not to 42

        c.set(7);
        {
            auto scope = c.scoped(8);
            CHECK(c.get() == 8);
        }
        CHECK(c.get() == 7);
    }

    TEST_CASE("scoped restores a variable without default to unset") {
        IsolatedFlow flow;
        ContextVar<std::string> c{"c"};
        {
            auto scope = c.scoped("36");
            CHECK(c.get() == "36");
        }
        CHECK_THROWS_WITH_AS(c.get(), "<ContextVar name='c'>", ctxvar::LookupError);
    }

    TEST_CASE("scoped restores the value when its scope is left by an exception") {
        IsolatedFlow flow;
        ContextVar<int> c{"c", 42};
        int seen_inside = 0;
        CHECK_THROWS_AS(
            [&] {
                auto scope = c.scoped(36);
                seen_inside = c.get();
                throw Boom();
            }(),
            Boom);
        CHECK(seen_inside == 36);
        CHECK(c.get() == 42);

        // Inside a run that the exception leaves too.
        const Context ctx;
        CHECK_THROWS_AS(ctx.run([&] {
            c.set(1);
            auto scope = c.scoped(2);
            throw Boom();
        }),
                        Boom);
        CHECK(ctx.at(c) == 1);
    }

    TEST_CASE("a scope whose token was reset by hand does nothing at its end") {
        IsolatedFlow flow;
        ContextVar<int> c{"c", 42};
        {
            auto scope = c.scoped(36);
            CHECK(c.get() == 36);
            c.reset(scope.token());
            CHECK(scope.token().used());
            CHECK(c.get() == 42);
            c.set(99); // the scope's end must not undo this
        }              // and must not throw
        CHECK(c.get() == 99);
    }

    TEST_CASE("a second reset by hand of a scope's token throws TokenReusedError") {
        IsolatedFlow flow;
        ContextVar<int> c{"c", 42};
        {
            auto scope = c.scoped(36);
            c.reset(scope.token());
            CHECK(message_of<ctxvar::TokenReusedError>([&] { c.reset(scope.token()); }) ==
                  "<Token used var=<ContextVar name='c'>> has already been used once");
            CHECK(c.get() == 42);
        }
        CHECK(c.get() == 42);
    }

    TEST_CASE("several sets inside a scope are undone at its end, as by a reset") {
        IsolatedFlow flow;
        ContextVar<int> c{"c", 42};
        {
            auto scope = c.scoped(36);
            CHECK(c.get() == 36);
            c.set(24);
            CHECK(c.get() == 24);
            c.set(12);
            CHECK(c.get() == 12);
        }
        CHECK(c.get() == 42);

        c.set(1);
        {
            auto scope = c.scoped(2);
            c.set(3);
        }
        CHECK(c.get() == 1);
    }

    TEST_CASE("a scope's token is the token of its set") {
        IsolatedFlow flow;
        ContextVar<int> c{"c"};
        c.set(5);
        auto scope = c.scoped(6);
        CHECK(scope.token().var() == c);
        REQUIRE(scope.token().old_value() != nullptr);
        CHECK(*scope.token().old_value() == 5);
        CHECK_FALSE(scope.token().used());
    }

    TEST_CASE("a scope that ends in another context leaves both contexts alone") {
        IsolatedFlow flow;
        ContextVar<int> c{"c", 42};
        const Context elsewhere;
        ctxvar::SavedContext mine;
        {
            auto scope = c.scoped(36);
            // Another flow's context becomes current before the scope ends.
            mine = ctxvar::switch_context(ctxvar::SavedContext(elsewhere));
        } // the reset would be refused: the destructor swallows that and does nothing
        CHECK_FALSE(elsewhere.contains(c));
        ctxvar::SavedContext back = ctxvar::switch_context(std::move(mine));
        REQUIRE(back.context().has_value());
        CHECK(back.context()->is(elsewhere));
        CHECK(c.get() == 36); // the scope's own context still holds its value
    }

    TEST_CASE("scoped constructs the value in place, for types neither copyable nor movable") {
        IsolatedFlow flow;
        ContextVar<Immovable> p{"p"};
        {
            auto scope = p.scoped(2); // Immovable(2), built in the context's own storage
            CHECK(p.get().value == 2);
        }
        CHECK(p.get_if() == nullptr);
    }
}
