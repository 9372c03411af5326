// Tests of the switch primitive (switch_context and SavedContext) as a runtime uses it: flows
// simulated by hand on one thread, each with its own saved context, switched in and out.
#include "test_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/errors.hpp>
#include <ctxvar/switch.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

using namespace context_test;
using ctxvar::Context;
using ctxvar::ContextVar;
using ctxvar::SavedContext;
using ctxvar::switch_context;

TEST_SUITE("context") {
    TEST_CASE("a saved context is move-only and switching never throws") {
        static_assert(!std::is_copy_constructible_v<SavedContext>);
        static_assert(std::is_nothrow_move_constructible_v<SavedContext>);
        static_assert(noexcept(switch_context(SavedContext{})));
        const SavedContext none;
        CHECK_FALSE(none.has_value());
        CHECK_FALSE(static_cast<bool>(none));
        CHECK_FALSE(none.context().has_value());
    }

    TEST_CASE("switch_context returns exactly what was installed") {
        IsolatedFlow flow;
        const Context a;
        const Context b;
        SavedContext before = switch_context(SavedContext(a));
        CHECK_FALSE(before.has_value()); // the isolated flow had none

        SavedContext was_a = switch_context(SavedContext(b));
        REQUIRE(was_a.has_value());
        CHECK(was_a.context()->is(a));

        SavedContext was_b = switch_context(SavedContext{});
        REQUIRE(was_b.context().has_value());
        CHECK(was_b.context()->is(b));

        SavedContext was_none = switch_context(std::move(was_a));
        CHECK_FALSE(was_none.has_value());
        SavedContext again_a = switch_context(SavedContext{});
        REQUIRE(again_a.has_value());
        CHECK(again_a.context()->is(a));
    }

    TEST_CASE("two flows simulated on one thread each see their own values") {
        IsolatedFlow flow;
        ContextVar<int> v{"v", 0};
        ContextVar<std::string> s{"s", "default"};
        v.set(100); // the switching flow's own value

        SavedContext one = SavedContext::copy_of_current();
        SavedContext two; // no context yet

        // Switch to flow one.
        SavedContext main = switch_context(std::move(one));
        CHECK(v.get() == 100); // a copy of the creator's
        v.set(1);
        s.set("one");
        // Flow one yields to flow two.
        one = switch_context(std::move(two));
        CHECK(v.get() == 0);
        CHECK(s.get() == "default");
        v.set(2);
        // Flow two yields to flow one.
        two = switch_context(std::move(one));
        CHECK(v.get() == 1);
        CHECK(s.get() == "one");
        v.set(11);
        // Flow one yields to flow two, which yields back to main.
        one = switch_context(std::move(two));
        CHECK(v.get() == 2);
        CHECK(s.get() == "default");
        two = switch_context(std::move(main));

        CHECK(v.get() == 100);
        CHECK(s.get() == "default");
        REQUIRE(one.has_value());
        REQUIRE(two.has_value());
        CHECK(one.context()->at(v) == 11);
        CHECK(one.context()->at(s) == "one");
        CHECK(two.context()->at(v) == 2);
        CHECK_FALSE(two.context()->contains(s));
    }

    TEST_CASE("a flow with an empty saved context reads defaults and gets one at its first set") {
        IsolatedFlow flow;
        ContextVar<int> v{"v", 5};
        v.set(1);

        SavedContext fresh;
        CHECK_FALSE(fresh.has_value());
        SavedContext main = switch_context(std::move(fresh));
        CHECK(v.get() == 5);
        CHECK(v.get_if() != nullptr);
        fresh = switch_context(std::move(main));
        CHECK_FALSE(fresh.has_value()); // reading created nothing

        main = switch_context(std::move(fresh));
        v.set(6); // creates the flow's context object
        fresh = switch_context(std::move(main));
        REQUIRE(fresh.has_value());
        CHECK(fresh.context()->at(v) == 6);
        CHECK(fresh.context()->size() == 1);
        CHECK(v.get() == 1);
    }

    TEST_CASE("copy_context in a flow without a context gives the flow one") {
        IsolatedFlow flow;
        SavedContext fresh;
        SavedContext main = switch_context(std::move(fresh));
        const Context copy = ctxvar::copy_context();
        fresh = switch_context(std::move(main));
        REQUIRE(fresh.has_value());
        CHECK_FALSE(fresh.context()->is(copy));
        CHECK(*fresh.context() == copy);
    }

    TEST_CASE("SavedContext(Context) installs the context without entering it") {
        IsolatedFlow flow;
        ContextVar<int> v{"v"};
        const Context ctx;
        ctx.run([&] { v.set(1); });

        SavedContext main = switch_context(SavedContext(ctx));
        CHECK(v.get() == 1);
        v.set(2); // sets go to the installed object itself
        CHECK(ctx.at(v) == 2);

        // Not entered: run on the same object still works while it is installed.
        int seen = 0;
        CHECK_NOTHROW(ctx.run([&] {
            seen = v.get();
            v.set(3);
        }));
        CHECK(seen == 2);
        CHECK(v.get() == 3); // one object, installed and entered
        CHECK(ctx.at(v) == 3);

        SavedContext back = switch_context(std::move(main));
        REQUIRE(back.has_value());
        CHECK(back.context()->is(ctx));
        CHECK(v.get_if() == nullptr);
    }

    TEST_CASE("a context installed in two flows is shared by both") {
        IsolatedFlow flow;
        ContextVar<int> v{"v"};
        const Context shared;
        SavedContext one(shared);
        SavedContext two(shared);

        SavedContext main = switch_context(std::move(one));
        v.set(1);
        one = switch_context(std::move(two));
        CHECK(v.get() == 1); // greenlet-style sharing: the same object
        v.set(2);
        two = switch_context(std::move(one));
        CHECK(v.get() == 2);
        one = switch_context(std::move(main));
        CHECK(shared.at(v) == 2);
        CHECK(one.context()->is(shared));
        CHECK(two.context()->is(shared));
    }

    TEST_CASE("a context entered in one flow is refused in another flow on the same thread") {
        IsolatedFlow flow;
        ContextVar<int> v{"v"};
        const Context ctx;
        const Context other;
        bool refused = false;
        ctx.run([&] {
            v.set(1);
            // Switch to another flow while this one is inside ctx.run.
            SavedContext first = switch_context(SavedContext(other));
            refused = message_of<ctxvar::ContextEnteredError>([&] {
                          ctx.run([] {});
                      }).starts_with("cannot enter context:");
            CHECK(v.get_if() == nullptr);
            SavedContext second = switch_context(std::move(first)); // give back what it handed over
            CHECK(second.context()->is(other));
            CHECK(v.get() == 1);
        });
        CHECK(refused);
        ctx.run([] {}); // exited
    }

    TEST_CASE("a run in progress exits cleanly after its flow is switched out and back in") {
        IsolatedFlow flow;
        ContextVar<int> v{"v", 0};
        v.set(7);
        const Context ctx;
        SavedContext parked;
        ctx.run([&] {
            v.set(1);
            SavedContext in_run =
                switch_context(std::move(parked)); // out of ctx, to a flow with none
            CHECK(v.get() == 0);
            v.set(2);                                   // that flow's first set
            parked = switch_context(std::move(in_run)); // and back into ctx
            CHECK(v.get() == 1);
        });
        CHECK(v.get() == 7); // run exited to this flow's context
        CHECK(ctx.at(v) == 1);
        REQUIRE(parked.has_value());
        CHECK(parked.context()->at(v) == 2);
    }

    TEST_CASE("copy_of_current starts a flow in a copy of the current context") {
        IsolatedFlow flow;
        ContextVar<int> v{"v"};
        v.set(1);
        SavedContext child = SavedContext::copy_of_current();
        REQUIRE(child.has_value());
        CHECK(child.context()->at(v) == 1);
        CHECK(*child.context() == ctxvar::copy_context());

        SavedContext main = switch_context(std::move(child));
        v.set(2);
        child = switch_context(std::move(main));
        CHECK(v.get() == 1);
        CHECK(child.context()->at(v) == 2);
    }

    TEST_CASE("SavedContext::context() is a handle to the saved object itself") {
        IsolatedFlow flow;
        ContextVar<int> v{"v"};
        const Context ctx;
        const SavedContext saved(ctx);
        std::optional<Context> handle = saved.context();
        REQUIRE(handle.has_value());
        CHECK(handle->is(ctx));
        handle->run([&] { v.set(1); });
        CHECK(ctx.at(v) == 1);
    }
}
