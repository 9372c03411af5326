// greenlet's src/greenlet/tests/test_contextvars.py ported: each greenlet's own context (empty
// at the start), propagated by Context::run, by set_context with a copy, or shared; contexts
// replaced while a greenlet runs or is suspended; runs that exit in any order; contexts of
// greenlets of another thread. ID_VAR and VAR_VAR (ContextVar("id", default=None)) become
// ContextVar<std::optional<int>> with std::nullopt as the default, one per test.
//
// Not ported (Python-only):
// - `del gr.gr_context` (test_context_assignment_while_running's first check): a C++ greenlet's
//   context cannot be deleted, only replaced (set_context(std::nullopt)).
// - test_context_assignment_while_running's final sys.getrefcount checks: reference counts are
//   not observable; the sanitizer builds' leak checking covers them.
// - test_context_assignment_wrong_type: the type system refuses a non-Context at compile time.
// - NoContextVarsTests.test_contextvars_errors: greenlet built without contextvars support.
//
// Adapted by design (greenlet.hpp): the context of a greenlet of another thread that has not
// finished cannot be read or replaced (GreenletError), suspended or not; a dead one's can.
#include "to_parent.hpp"
#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/errors.hpp>

#include <ctxvar/fibers/greenlet.hpp>

#include <doctest/doctest.h>

#include <any>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <ranges>
#include <thread>
#include <utility>
#include <vector>

using ctxvar::Context;
using ctxvar::ContextVar;
using ctxvar::copy_context;
using ctxvar::fibers::Greenlet;
using ctxvar::fibers::GreenletError;
using fibers_test::to_parent;

namespace {

using IdVar = ContextVar<std::optional<int>>;

enum class Propagate { run, set, none, share };

// test_contextvars.py _test_context(propagate_by). For "run", `reverse_exits` finishes the
// greenlets in the reverse order of their Context::run entries (as Python must); otherwise in
// their order, which works here as well: each greenlet's run exits with its own context current.
void test_context(Propagate propagate_by, bool reverse_exits = true) {
    const IdVar id_var("id", std::nullopt);
    id_var.set(0);
    const std::optional<Context> main_context = Greenlet::current()->context();
    REQUIRE(main_context.has_value());

    std::shared_ptr<Greenlet> main = Greenlet::current(); // callback = getcurrent().switch
    std::map<int, int> counts{{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 0}};

    auto increment = [&](int greenlet_id, std::optional<int> expect) {
        CHECK(id_var.get() == expect);
        id_var.set(greenlet_id);
        for (int k = 0; k < 2; ++k) {
            counts[id_var.get().value()] += 1;
            main->switch_to();
        }
    };

    std::vector<std::shared_ptr<Greenlet>> lets;
    for (int i = 1; i <= 4; ++i) {
        std::optional<int> expect;
        if (propagate_by == Propagate::share) {
            expect = i - 1;
        } else if (propagate_by == Propagate::set || propagate_by == Propagate::run) {
            expect = 0;
        }
        if (propagate_by == Propagate::run) {
            lets.push_back(Greenlet::create([&increment, i, expect, ctx = copy_context()](
                                                std::any) { ctx.run(increment, i, expect); }));
        } else {
            lets.push_back(
                Greenlet::create([&increment, i, expect](std::any) { increment(i, expect); }));
        }
    }

    std::vector<Context> assigned;
    for (const auto& let : lets) {
        if (propagate_by == Propagate::set) {
            assigned.push_back(copy_context());
            let->set_context(assigned.back());
        } else if (propagate_by == Propagate::share) {
            let->set_context(Greenlet::current()->context());
        }
    }

    for (int round = 0; round < 2; ++round) {
        counts[id_var.get().value()] += 1;
        for (const auto& let : lets) {
            let->switch_to();
        }
    }

    if (propagate_by == Propagate::run && reverse_exits) {
        for (const auto& let : std::views::reverse(lets)) {
            let->switch_to();
        }
    } else {
        for (const auto& let : lets) {
            let->switch_to();
        }
    }

    for (std::size_t i = 0; i < lets.size(); ++i) {
        const auto& let = lets[i];
        CHECK(let->dead());
        const std::optional<Context> context = let->context();
        if (propagate_by == Propagate::run) {
            // The run exited as the greenlet died, and there was no context underneath.
            CHECK_FALSE(context.has_value());
        } else {
            // The last context the greenlet ran with stays visible after its death.
            REQUIRE(context.has_value());
            if (propagate_by == Propagate::share) {
                CHECK(context->is(*main_context));
            } else if (propagate_by == Propagate::set) {
                CHECK(context->is(assigned[i]));
                CHECK(context->at(id_var) == static_cast<int>(i) + 1);
            } else {
                CHECK_FALSE(context->is(*main_context)); // created by its first set
                CHECK(context->at(id_var) == static_cast<int>(i) + 1);
            }
        }
    }

    if (propagate_by == Propagate::share) {
        CHECK(counts == std::map<int, int>{{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 6}});
        CHECK(id_var.get() == 4); // main shares the context the greenlets wrote
    } else {
        CHECK(counts == std::map<int, int>{{0, 2}, {1, 2}, {2, 2}, {3, 2}, {4, 2}});
        CHECK(id_var.get() == 0);
    }
    CHECK(Greenlet::current()->context()->is(*main_context));
}

} // namespace

TEST_SUITE("fibers") {

    // greenlet test_contextvars.py test_context_propagated_by_context_run
    TEST_CASE("greenlets that run their function in a Context::run of a copy see a copy of the "
              "creator's context") {
        copy_context().run(test_context, Propagate::run, true);
    }

    // greenlet test_contextvars.py test_context_propagated_by_context_run (the runs exit in the
    // order they were entered, which Python refuses)
    TEST_CASE("greenlets inside Context::run can finish their runs in any order") {
        copy_context().run(test_context, Propagate::run, false);
    }

    // greenlet test_contextvars.py test_context_propagated_by_setting_attribute
    TEST_CASE("greenlets given a copy of the context with set_context see the creator's values") {
        copy_context().run(test_context, Propagate::set, true);
    }

    // greenlet test_contextvars.py test_context_not_propagated
    TEST_CASE("a new greenlet starts with no context: variables read their defaults") {
        copy_context().run(test_context, Propagate::none, true);
    }

    // greenlet test_contextvars.py test_context_shared
    TEST_CASE("greenlets given the creator's own context object share it") {
        copy_context().run(test_context, Propagate::share, true);
    }

    // greenlet test_contextvars.py test_break_ctxvars
    TEST_CASE("a greenlet's Context::run exits fine after another greenlet entered a run") {
        const IdVar id_var("id", std::nullopt);
        id_var.set(7);
        const std::optional<Context> main_context = Greenlet::current()->context();
        // greenlet(copy_context().run): a copy of the current context per greenlet.
        auto copy_context_run = [] {
            return [ctx = copy_context()](std::any callback) -> std::any {
                return ctx.run([&] {
                    return std::any_cast<std::shared_ptr<Greenlet>>(callback)->switch_to();
                });
            };
        };
        auto let1 = Greenlet::create(copy_context_run());
        auto let2 = Greenlet::create(copy_context_run());
        let1->switch_to(Greenlet::current());
        let2->switch_to(Greenlet::current());
        // let2 entered its copy after let1 entered its own; let1's run exits first.
        CHECK_NOTHROW(let1->switch_to());
        CHECK(let1->dead());
        CHECK_FALSE(let1->context().has_value());
        CHECK(*let2);
        CHECK_NOTHROW(let2->switch_to());
        CHECK(let2->dead());
        CHECK_FALSE(let2->context().has_value());
        CHECK(id_var.get() == 7);
        CHECK(Greenlet::current()->context()->is(*main_context));
    }

    // greenlet test_contextvars.py test_not_broken_if_using_attribute_instead_of_context_run
    TEST_CASE("greenlets given copies with set_context switch in any order") {
        auto let1 = Greenlet::create([](std::any) { to_parent(); });
        auto let2 = Greenlet::create([](std::any) { to_parent(); });
        const Context ctx1 = copy_context();
        const Context ctx2 = copy_context();
        let1->set_context(ctx1);
        let2->set_context(ctx2);
        CHECK_NOTHROW(let1->switch_to());
        CHECK_NOTHROW(let2->switch_to());
        CHECK_NOTHROW(let1->switch_to());
        CHECK_NOTHROW(let2->switch_to());
        CHECK(let1->dead());
        CHECK(let2->dead());
        CHECK(let1->context()->is(ctx1));
        CHECK(let2->context()->is(ctx2));
    }

    // greenlet test_contextvars.py test_context_assignment_while_running
    TEST_CASE("a greenlet's context can be replaced while it runs and while it is suspended") {
        const IdVar id_var("id", std::nullopt);
        id_var.set(std::nullopt);
        std::shared_ptr<Greenlet> gr;
        int steps = 0;

        auto target = [&](std::any) {
            CHECK(id_var.get() == std::nullopt);
            CHECK_FALSE(gr->context().has_value());

            // The context is created on first use.
            id_var.set(1);
            REQUIRE(gr->context().has_value());
            CHECK(id_var.get() == 1);
            CHECK(gr->context()->at(id_var) == 1);

            // Clearing the context makes the next set create another, empty one.
            const Context old_context = *gr->context();
            gr->set_context(std::nullopt); // none, while running
            CHECK(id_var.get() == std::nullopt);
            CHECK_FALSE(gr->context().has_value());
            id_var.set(2);
            REQUIRE(gr->context().has_value());
            CHECK(id_var.get() == 2);
            CHECK(gr->context()->at(id_var) == 2);
            CHECK_FALSE(gr->context()->is(old_context));

            const Context new_context = *gr->context();
            steps = 1;
            to_parent(std::pair<Context, Context>(old_context, new_context));
            // The parent switched us back to old_context.

            CHECK(id_var.get() == 1);
            gr->set_context(new_context); // a context, while running
            CHECK(id_var.get() == 2);
            CHECK(gr->context()->is(new_context));

            steps = 2;
            to_parent();
            // The parent switched us back to no context.
            CHECK(id_var.get() == std::nullopt);
            CHECK_FALSE(gr->context().has_value());
            gr->set_context(old_context);
            CHECK(id_var.get() == 1);

            steps = 3;
            to_parent();
            // The parent switched us back to no context.
            CHECK(id_var.get() == std::nullopt);
            CHECK_FALSE(gr->context().has_value());
            steps = 4;
        };

        gr = Greenlet::create(target);
        CHECK_FALSE(gr->context().has_value());

        auto [old_context, new_context] =
            std::any_cast<std::pair<Context, Context>>(gr->switch_to());
        CHECK(steps == 1);
        REQUIRE(gr->context().has_value());
        CHECK(gr->context()->is(new_context)); // a suspended greenlet's saved context
        CHECK(old_context.at(id_var) == 1);
        CHECK(new_context.at(id_var) == 2);
        CHECK(new_context.run([&] { return id_var.get(); }) == 2);
        CHECK(id_var.get() == std::nullopt); // main's own context is untouched

        gr->set_context(old_context); // a context, while suspended
        gr->switch_to();
        CHECK(steps == 2);
        CHECK(gr->context()->is(new_context));

        gr->set_context(std::nullopt); // none, while suspended
        gr->switch_to();
        CHECK(steps == 3);
        CHECK(gr->context()->is(old_context));

        gr->set_context(std::nullopt);
        gr->switch_to();
        CHECK(steps == 4);
        CHECK(gr->dead());
        CHECK_FALSE(gr->context().has_value()); // the dead greenlet keeps its last: none
    }

    // greenlet test_contextvars.py test_context_assignment_different_thread (adapted: the
    // context of a greenlet of another thread can be neither read nor replaced until it is dead,
    // suspended or not)
    TEST_CASE("a greenlet's context is reachable from another thread only once it is dead") {
        const IdVar var_var("var", std::nullopt);
        var_var.set(std::nullopt);
        const Context ctx;

        std::latch is_running(1);
        std::latch should_suspend(1);
        std::latch did_suspend(1);
        std::latch should_exit(1);
        std::shared_ptr<Greenlet> published;            // holder[0]
        std::optional<std::optional<int>> value_at_end; // holder[1]

        std::thread thread([&] {
            auto gr = Greenlet::create([&](std::any) {
                var_var.set(1);
                is_running.count_down();
                should_suspend.wait();
                var_var.set(2);
                to_parent();
                value_at_end = var_var.get();
            });
            gr->set_context(ctx);
            published = gr;
            gr->switch_to();
            did_suspend.count_down();
            should_exit.wait();
            gr->switch_to();
            gr.reset();
            (void)Greenlet::current(); // trigger cleanup
        });

        is_running.wait();
        std::shared_ptr<Greenlet> gr = published;
        // Running in the other thread: neither readable nor replaceable.
        CHECK_THROWS_WITH_AS((void)gr->context(),
                             "cannot get context of a greenlet that is running in a different "
                             "thread (or may run there: it has not finished)",
                             GreenletError);
        CHECK_THROWS_WITH_AS(gr->set_context(std::nullopt),
                             "cannot set context of a greenlet that is running in a different "
                             "thread (or may run there: it has not finished)",
                             GreenletError);

        should_suspend.count_down();
        did_suspend.wait();

        // Suspended in the other thread: Python allows both; here they throw as well.
        CHECK_FALSE(gr->dead());
        CHECK_THROWS_WITH_AS((void)gr->context(),
                             "cannot get context of a greenlet that is running in a different "
                             "thread (or may run there: it has not finished)",
                             GreenletError);
        CHECK_THROWS_WITH_AS(gr->set_context(std::nullopt),
                             "cannot set context of a greenlet that is running in a different "
                             "thread (or may run there: it has not finished)",
                             GreenletError);
        // The greenlet ran with ctx itself: its sets changed ctx in place.
        CHECK(ctx.at(var_var) == 2);

        should_exit.count_down();
        thread.join();

        // The context could not be cleared, so the greenlet still read 2 (Python: None).
        REQUIRE(value_at_end.has_value());
        CHECK(*value_at_end == 2);
        CHECK(var_var.get() == std::nullopt);

        // Dead: the context can be read and replaced from here.
        CHECK(gr->dead());
        REQUIRE(gr->context().has_value());
        CHECK(gr->context()->is(ctx));
        gr->set_context(std::nullopt);
        CHECK_FALSE(gr->context().has_value());
        gr->set_context(ctx);
        REQUIRE(gr->context().has_value());
        CHECK(gr->context()->is(ctx));
    }

    // greenlet test_contextvars.py test_break_ctxvars (what breaks Python at the run's exit is
    // refused up front here: replacing a context that a suspended or running greenlet entered)
    TEST_CASE("a greenlet's context cannot be replaced while it is inside a Context::run of it") {
        const IdVar id_var("id", std::nullopt);
        const Context ctx;
        constexpr const char* inside_run =
            "cannot set the context of a greenlet while its context is entered (inside "
            "Context::run): the run would exit with another context current";
        std::shared_ptr<Greenlet> gr;
        bool refused_while_running = false;
        gr = Greenlet::create([&](std::any) {
            ctx.run([&] {
                id_var.set(5);
                try {
                    gr->set_context(Context{});
                } catch (const GreenletError& e) {
                    refused_while_running = std::string(e.what()) == inside_run;
                }
                CHECK(id_var.get() == 5);
                to_parent();
                CHECK(id_var.get() == 5);
            });
            CHECK(id_var.get() == std::nullopt);
        });
        gr->switch_to();
        CHECK(refused_while_running);
        REQUIRE(gr->context().has_value());
        CHECK(gr->context()->is(ctx));
        CHECK_THROWS_WITH_AS(gr->set_context(std::nullopt), inside_run, GreenletError);
        CHECK_THROWS_WITH_AS(gr->set_context(copy_context()), inside_run, GreenletError);
        CHECK(gr->context()->is(ctx));
        // Still entered by the suspended greenlet: nobody else may enter it.
        CHECK_THROWS_AS(ctx.run([] {}), ctxvar::ContextEnteredError);
        gr->switch_to();
        CHECK(gr->dead());
        CHECK_FALSE(gr->context().has_value());
        CHECK(ctx.at(id_var) == 5);
        CHECK_NOTHROW(ctx.run([] {}));
    }

} // TEST_SUITE
