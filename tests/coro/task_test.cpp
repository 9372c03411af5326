// Tests of Task<T> awaited by a Task: the child shares its awaiter's context (a plain await in
// Python), results of every kind, exceptions through awaits, laziness and misuse.
#include "coro_helpers.hpp"

#include <ctxvar/context_var.hpp>
#include <ctxvar/coro.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace coro_test;
using ctxvar::ContextVar;
using ctxvar::coro::resume_on;
using ctxvar::coro::sync_wait;
using ctxvar::coro::Task;
using ctxvar::coro::ThreadPool;

namespace {

Task<> set_only(const ContextVar<int>& var, int value) {
    var.set(value);
    co_return;
}

int the_static = 0;

Task<int&> set_and_return_static(const ContextVar<int>& var, int value) {
    var.set(value);
    co_return the_static;
}

Task<std::unique_ptr<int>> set_and_return_owned(const ContextVar<int>& var, int value) {
    var.set(value);
    co_return std::make_unique<int>(value * 10);
}

// Three levels: each records what it found, sets its level, awaits the next, records again.
Task<> nested(const ContextVar<int>& var, int level, std::vector<int>& seen) {
    seen.push_back(var.get());
    var.set(level);
    if (level < 3) {
        co_await nested(var, level + 1, seen);
    }
    seen.push_back(var.get());
}

Task<int> set_then_throw(const ContextVar<int>& var, int value) {
    var.set(value);
    throw Boom();
    co_return 0;
}

Task<int> hop_set_then_throw(ThreadPool& pool, const ContextVar<int>& var, int value) {
    co_await resume_on(pool);
    var.set(value);
    throw Boom();
    co_return 0;
}

Task<int> counted_parameter(Counted token, bool& ran) {
    ran = true;
    co_return token.value;
}

} // namespace

TEST_SUITE("coro") {
    TEST_CASE("a child task's set is visible to its parent after the await, and the parent's "
              "values to the child") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        struct Seen {
            int child_saw;
            int parent_after;
        };
        auto parent = [&]() -> Task<Seen> {
            var.set(1);
            const int child_saw = co_await read_then_set(var, 2);
            co_return Seen{child_saw, var.get()};
        };
        const Seen seen = sync_wait(parent());
        CHECK(seen.child_saw == 1);
        CHECK(seen.parent_after == 2);
        CHECK(var.get() == 0); // sync_wait ran the parent in a copy
    }

    TEST_CASE("a child task of void shares its parent's context") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        auto parent = [&]() -> Task<int> {
            var.set(1);
            co_await set_only(var, 2);
            co_return var.get();
        };
        CHECK(sync_wait(parent()) == 2);
    }

    TEST_CASE("a child task returning a reference gives the very object and shares its parent's "
              "context") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        struct Seen {
            int* address;
            int parent_after;
        };
        auto parent = [&]() -> Task<Seen> {
            var.set(1);
            int& ref = co_await set_and_return_static(var, 2);
            co_return Seen{&ref, var.get()};
        };
        const Seen seen = sync_wait(parent());
        CHECK(seen.address == &the_static);
        CHECK(seen.parent_after == 2);
    }

    TEST_CASE("a child task returning a move-only value gives it and shares its parent's "
              "context") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        auto parent = [&]() -> Task<std::unique_ptr<int>> {
            var.set(1);
            std::unique_ptr<int> owned = co_await set_and_return_owned(var, 2);
            *owned += var.get();
            co_return owned;
        };
        const std::unique_ptr<int> result = sync_wait(parent());
        REQUIRE(result != nullptr);
        CHECK(*result == 22);
    }

    TEST_CASE("tasks nested three levels deep share one context all the way down and up") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        std::vector<int> seen;
        auto top = [&]() -> Task<int> {
            var.set(-1);
            co_await nested(var, 1, seen);
            co_return var.get();
        };
        CHECK(sync_wait(top()) == 3);
        // Going down each level finds its parent's set; coming up each finds the deepest one.
        CHECK(seen == std::vector<int>{-1, 1, 2, 3, 3, 3});
    }

    TEST_CASE("a child's exception reaches its awaiter, with the child's sets before the throw "
              "still visible and the parent's context intact") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        const ContextVar<std::string> other{"other", "default"};
        struct Seen {
            bool caught = false;
            int var_after_catch = 0;
            std::string other_after_catch;
            int next_child_saw = 0;
            int var_at_end = 0;
        };
        auto parent = [&]() -> Task<Seen> {
            Seen seen;
            var.set(1);
            other.set("parent");
            try {
                co_await set_then_throw(var, 2);
            } catch (const Boom&) {
                seen.caught = true;
            }
            seen.var_after_catch = var.get();
            seen.other_after_catch = other.get();
            var.set(4);
            seen.next_child_saw = co_await read_then_set(var, 5);
            seen.var_at_end = var.get();
            co_return seen;
        };
        const Seen seen = sync_wait(parent());
        CHECK(seen.caught);
        CHECK(seen.var_after_catch == 2);
        CHECK(seen.other_after_catch == "parent");
        CHECK(seen.next_child_saw == 4);
        CHECK(seen.var_at_end == 5);
        CHECK(var.get() == 0);
        CHECK(other.get() == "default");
    }

    TEST_CASE("a child's exception thrown after it hopped threads reaches its awaiter with the "
              "child's sets visible") {
        IsolatedFlow flow;
        ThreadPool pool(1);
        const ContextVar<int> var{"var", 0};
        const ContextVar<std::string> other{"other", "default"};
        struct Seen {
            bool caught = false;
            int var_after_catch = 0;
            std::string other_after_catch;
        };
        auto parent = [&]() -> Task<Seen> {
            Seen seen;
            var.set(1);
            other.set("parent");
            try {
                co_await hop_set_then_throw(pool, var, 2);
            } catch (const Boom&) {
                seen.caught = true;
            }
            seen.var_after_catch = var.get();
            seen.other_after_catch = other.get();
            co_return seen;
        };
        const Seen seen = sync_wait(parent());
        CHECK(seen.caught);
        CHECK(seen.var_after_catch == 2);
        CHECK(seen.other_after_catch == "parent");
        CHECK(var.get() == 0);
    }

    TEST_CASE("a task that is never awaited never runs, and its frame goes with it") {
        std::atomic<int> live{0};
        bool ran = false;
        {
            const Task<int> task = counted_parameter(Counted(live, 7), ran);
            CHECK(static_cast<bool>(task));
            CHECK(live == 1); // the frame's copy of the parameter
        }
        CHECK_FALSE(ran);
        CHECK(live == 0);
    }

    TEST_CASE("awaiting an lvalue task twice throws 'cannot reuse already awaited task'") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        struct Seen {
            int first = -1;
            std::string error;
            int var_after = -1;
        };
        auto parent = [&]() -> Task<Seen> {
            Seen seen;
            var.set(1);
            Task<int> child = read_then_set(var, 2);
            seen.first = co_await child;
            try {
                co_await child;
            } catch (const std::logic_error& e) {
                seen.error = e.what();
            }
            seen.var_after = var.get();
            co_return seen;
        };
        const Seen seen = sync_wait(parent());
        CHECK(seen.first == 1);
        CHECK(seen.error == "cannot reuse already awaited task");
        CHECK(seen.var_after == 2); // the second await did not run the child again
    }

    TEST_CASE("awaiting a moved-from or default-constructed task throws std::logic_error") {
        IsolatedFlow flow;
        const ContextVar<int> var{"var", 0};
        std::atomic<int> live{0};
        bool ran = false;
        struct Seen {
            std::string moved_from;
            std::string default_constructed;
        };
        auto parent = [&]() -> Task<Seen> {
            Seen seen;
            Task<int> child = counted_parameter(Counted(live, 1), ran);
            { const Task<int> thief = std::move(child); } // never awaited: destroyed unrun
            try {
                co_await child;
            } catch (const std::logic_error& e) {
                seen.moved_from = e.what();
            }
            Task<> empty;
            try {
                co_await empty;
            } catch (const std::logic_error& e) {
                seen.default_constructed = e.what();
            }
            co_return seen;
        };
        const Seen seen = sync_wait(parent());
        CHECK(seen.moved_from == "ctxvar::coro::Task: awaiting an empty task (moved from)");
        CHECK(seen.default_constructed == seen.moved_from);
        CHECK_FALSE(ran);
        CHECK(live == 0);
    }
}
