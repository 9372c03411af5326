// Greenlet lifetimes: the last handle going (here, on another thread, inside the greenlet
// itself), thread end, unstarted and finished greenlets, and many greenlets alive at once.
#include "to_parent.hpp"
#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>

#include <ctxvar/fibers/greenlet.hpp>

#include <doctest/doctest.h>

#include <any>
#include <atomic>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

using ctxvar::fibers::Greenlet;
using ctxvar::fibers::GreenletError;
using ctxvar::fibers::GreenletExit;
using fibers_test::to_parent;

namespace {

// Records its destruction and the thread it happened on.
struct Guard {
    std::atomic<int>* destroyed;
    std::thread::id* where = nullptr;
    ~Guard() {
        if (where != nullptr) {
            *where = std::this_thread::get_id();
        }
        destroyed->fetch_add(1);
    }
};

// A greenlet that holds a Guard on its stack and waits in its parent forever.
std::shared_ptr<Greenlet> waiting_with_guard(std::atomic<int>& destroyed, bool& saw_exit,
                                             std::thread::id* where = nullptr) {
    return Greenlet::create([&destroyed, &saw_exit, where](std::any) -> std::any {
        Guard guard{&destroyed, where};
        try {
            for (;;) {
                to_parent();
            }
        } catch (const GreenletExit&) {
            saw_exit = true;
            throw;
        }
    });
}

#if defined(__SANITIZE_THREAD__)
constexpr int many = 7000; // g++ 12's TSan allows about 8,000 fibers
#else
constexpr int many = 10000;
#endif

} // namespace

TEST_SUITE("fibers") {

    TEST_CASE("dropping the last handle of a suspended greenlet unwinds its stack at once") {
        std::atomic<int> destroyed{0};
        bool saw_exit = false;
        auto g = waiting_with_guard(destroyed, saw_exit);
        g->switch_to();
        CHECK(destroyed == 0);
        g.reset();
        CHECK(saw_exit);
        CHECK(destroyed == 1);
    }

    TEST_CASE(
        "a killed greenlet exits the Context::run it was inside, so the context can be entered "
        "again") {
        static ctxvar::ContextVar<int> var{"var", 0};
        ctxvar::Context ctx;
        auto g = Greenlet::create([&](std::any) -> std::any {
            return ctx.run([] {
                static_cast<void>(var.set(5));
                to_parent();
                return std::any{};
            });
        });
        g->switch_to();
        CHECK_THROWS_AS(ctx.run([] {}), ctxvar::ContextEnteredError);
        g.reset();
        CHECK(ctx.run([] { return var.get(); }) == 5);
        CHECK(var.get() == 0);
    }

    TEST_CASE("an unstarted greenlet that is dropped never runs, and its function goes with it") {
        std::atomic<int> destroyed{0};
        bool ran = false;
        {
            auto guard = std::shared_ptr<Guard>(new Guard{&destroyed});
            auto g = Greenlet::create([guard, &ran](std::any) -> std::any {
                ran = true;
                return {};
            });
            guard.reset();
            CHECK(destroyed == 0);
        }
        CHECK_FALSE(ran);
        CHECK(destroyed == 1);
    }

    TEST_CASE("a finished greenlet lets go of its function at once, while handles remain") {
        std::atomic<int> destroyed{0};
        auto guard = std::shared_ptr<Guard>(new Guard{&destroyed});
        auto g = Greenlet::create([guard](std::any) -> std::any { return {}; });
        guard.reset();
        g->switch_to();
        CHECK(g->dead());
        CHECK(destroyed == 1);
    }

    TEST_CASE("a greenlet that drops its own last handle is killed once it is suspended") {
        std::atomic<int> destroyed{0};
        bool saw_exit = false;
        auto holder = std::make_shared<std::shared_ptr<Greenlet>>();
        *holder = Greenlet::create([&, holder](std::any) -> std::any {
            Guard guard{&destroyed};
            try {
                holder->reset(); // the last handle: the greenlet is running, so the kill waits
                to_parent();
            } catch (const GreenletExit&) {
                saw_exit = true;
                throw;
            }
            return {};
        });
        (*holder)->switch_to();
        CHECK(destroyed == 0);
        // The kill waited for the greenlet to be suspended: now, at this thread's next current().
        static_cast<void>(Greenlet::current());
        CHECK(saw_exit);
        CHECK(destroyed == 1);
    }

    TEST_CASE("the last handle going on another thread: the kill waits for the owning thread") {
        std::atomic<int> destroyed{0};
        bool saw_exit = false;
        std::thread::id unwound_on;
        auto g = waiting_with_guard(destroyed, saw_exit, &unwound_on);
        g->switch_to();
        std::thread([handle = std::move(g)]() mutable { handle.reset(); }).join();
        CHECK(destroyed == 0);
        static_cast<void>(Greenlet::current()); // the owning thread's next use of greenlets
        CHECK(destroyed == 1);
        CHECK(saw_exit);
        CHECK(unwound_on == std::this_thread::get_id());
    }

    TEST_CASE(
        "a thread's end kills its unfinished greenlets on that thread; afterwards they are dead") {
        std::atomic<int> destroyed{0};
        bool saw_exit = false;
        std::thread::id unwound_on;
        std::thread::id worker_id;
        std::shared_ptr<Greenlet> kept;
        std::shared_ptr<Greenlet> worker_main;
        std::thread worker([&] {
            worker_id = std::this_thread::get_id();
            kept = waiting_with_guard(destroyed, saw_exit, &unwound_on);
            kept->switch_to();
            worker_main = Greenlet::current();
        });
        worker.join();
        CHECK(destroyed == 1);
        CHECK(saw_exit);
        CHECK(unwound_on == worker_id);
        CHECK(kept->dead());
        CHECK(worker_main->dead());
        CHECK(worker_main->is_main());
        CHECK_THROWS_WITH_AS(kept->switch_to(),
                             "cannot switch to a different thread (which happens to have exited)",
                             GreenletError);
        CHECK_FALSE(kept->context().has_value()); // a dead greenlet's context may be read anywhere
    }

    TEST_CASE(
        "an exception other than GreenletExit that ends a killed greenlet is not thrown at the "
        "one who dropped the handle") {
        struct Other {};
        auto g = Greenlet::create([](std::any) -> std::any {
            try {
                to_parent();
            } catch (const GreenletExit&) {
                throw Other{};
            }
            return {};
        });
        g->switch_to();
        CHECK_NOTHROW(g.reset()); // reported on stderr instead
    }

    TEST_CASE("many greenlets alive at once each keep their own context") {
        static ctxvar::ContextVar<int> var{"var", -1};
        std::vector<std::shared_ptr<Greenlet>> greenlets;
        greenlets.reserve(many);
        for (int i = 0; i < many; ++i) {
            greenlets.push_back(Greenlet::create([i](std::any) -> std::any {
                static_cast<void>(var.set(i));
                for (int round = 0; round < 2; ++round) {
                    to_parent(var.get());
                }
                return var.get();
            }));
        }
        int mismatches = 0;
        for (int round = 0; round < 3; ++round) {
            for (int i = 0; i < many; ++i) {
                mismatches += std::any_cast<int>(greenlets[i]->switch_to()) != i;
                mismatches += var.get() != -1;
            }
        }
        CHECK(mismatches == 0);
        for (auto& g : greenlets) {
            CHECK(g->dead());
            CHECK(g->context()->get(var) != nullptr);
        }
    }

} // TEST_SUITE
