// Tests of lifetimes: variables outlived by contexts and tokens, stored values destroyed exactly
// when the last context (or token) holding them goes, threads releasing their contexts,
// move-only and pinned value types, and reading variables from thread_local destructors.
#include "test_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/thread.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

using namespace context_test;
using ctxvar::Context;
using ctxvar::ContextVar;

namespace {

// Neither copyable nor movable: set with emplace, constructed in the context's storage.
struct Pinned {
    Pinned(std::atomic<int>& live_objects, std::string n)
        : live(&live_objects), name(std::move(n)) {
        ++*live;
    }
    Pinned(const Pinned&) = delete;
    Pinned& operator=(const Pinned&) = delete;
    ~Pinned() { --*live; }
    std::atomic<int>* live;
    std::string name;
};

// A thread_local whose destructor reads a variable and records what it saw (or -1 for nothing),
// run among the thread's other thread_local destructors when the thread ends.
struct ReadAtThreadExit {
    const ContextVar<int>* var = nullptr;
    std::atomic<int>* seen = nullptr;
    ~ReadAtThreadExit() {
        if (var != nullptr) {
            const int* value = var->get_if();
            *seen = value != nullptr ? *value : -1;
        }
    }
};
thread_local ReadAtThreadExit read_at_thread_exit;

// A thread_local whose destructor sets a variable: the thread's context must still be released.
struct SetAtThreadExit {
    ContextVar<Counted>* var = nullptr;
    std::atomic<int>* live = nullptr;
    ~SetAtThreadExit() {
        if (var != nullptr) {
            var->set(Counted(*live, 9));
        }
    }
};
thread_local SetAtThreadExit set_at_thread_exit;

} // namespace

TEST_SUITE("context") {
    TEST_CASE("a context keeps a variable alive after its last handle is gone") {
        IsolatedFlow flow;
        std::optional<ContextVar<std::string>> var;
        var.emplace("gone");
        var->set("still here");
        const Context ctx = ctxvar::copy_context();
        var.reset(); // the last handle

        int items = 0;
        for (auto&& item : ctx) {
            CHECK(item.name() == "gone");
            CHECK(item.get<std::string>() == "still here");
            ++items;
        }
        CHECK(items == 1);
        CHECK(ctx.size() == 1);
    }

    TEST_CASE("a token keeps its variable usable after the last handle is gone") {
        IsolatedFlow flow;
        std::optional<ctxvar::Token<int>> token;
        {
            ContextVar<int> var{"tokened", 5};
            var.set(1);
            token.emplace(var.set(2));
        }
        ContextVar<int> var = token->var();
        CHECK(var.name() == "tokened");
        CHECK(var.get() == 2);
        var.reset(*token);
        CHECK(var.get() == 1);
    }

    TEST_CASE("a variable's default lives as long as the variable") {
        std::atomic<int> live{0};
        {
            const ContextVar<Counted> var{"counted", Counted(live, 1)};
            CHECK(live == 1); // constructed once; the argument is gone
            CHECK(var.get().value == 1);
            CHECK(live == 1); // get does not copy
            {
                const ContextVar<Counted> handle = var;
                CHECK(live == 1);
            }
            CHECK(live == 1);
        }
        CHECK(live == 0);
    }

    TEST_CASE("a value is destroyed when the last context holding it goes") {
        IsolatedFlow flow;
        std::atomic<int> live{0};
        ContextVar<Counted> var{"counted"};
        std::optional<Context> first{std::in_place};
        first->run([&] { var.set(Counted(live, 1)); });
        CHECK(live == 1);

        std::optional<Context> copy{first->copy()};
        std::optional<Context> handle{*first};
        CHECK(live == 1); // shared, never copied

        first.reset();
        CHECK(live == 1);
        handle.reset(); // the first context object goes; the copy still holds the value
        CHECK(live == 1);
        CHECK(copy->at(var).value == 1);
        copy.reset();
        CHECK(live == 0);
    }

    TEST_CASE("a replaced value is destroyed at once unless a token or another context holds it") {
        IsolatedFlow flow;
        std::atomic<int> live{0};
        ContextVar<Counted> var{"counted"};
        var.set(Counted(live, 1));
        var.set(Counted(live, 2)); // nothing else holds 1
        CHECK(live == 1);

        std::optional<ctxvar::Token<Counted>> token{var.set(Counted(live, 3))};
        CHECK(live == 2); // the token holds 2
        token.reset();
        CHECK(live == 1);

        std::optional<Context> copy{ctxvar::copy_context()};
        var.set(Counted(live, 4));
        CHECK(live == 2); // the copy holds 3
        copy.reset();
        CHECK(live == 1);

        auto last = var.set(Counted(live, 5));
        CHECK(live == 2); // 4 in the token, 5 in the context
        var.reset(last);  // back to 4: nothing holds 5 any more
        CHECK(live == 1);
        CHECK(var.get().value == 4);
    }

    TEST_CASE("a context stays alive while entered, even when its last handle goes") {
        IsolatedFlow flow;
        std::atomic<int> live{0};
        ContextVar<Counted> var{"counted"};
        std::optional<Context> only{std::in_place};
        only->run([&] {
            var.set(Counted(live, 1));
            only.reset(); // the last handle, from inside the run
            CHECK(live == 1);
            CHECK(var.get().value == 1);
            var.set(Counted(live, 2));
            CHECK(live == 1);
        });
        CHECK(live == 0); // released on exit
        CHECK(var.get_if() == nullptr);
    }

    TEST_CASE("a ctxvar::Thread's context values are destroyed when the thread ends") {
        IsolatedFlow flow;
        std::atomic<int> live{0};
        ContextVar<Counted> var{"counted"};
        var.set(Counted(live, 1));

        ctxvar::Thread t([&] {
            var.set(Counted(live, 2)); // in the thread's copy only
        });
        t.join();
        CHECK(live == 1); // the thread's copy and its value 2 are gone

        ctxvar::Thread empty(ctxvar::empty_context, [&] { var.set(Counted(live, 3)); });
        empty.join();
        CHECK(live == 1);

        const Context given;
        ctxvar::Thread in_given(given, [&] { var.set(Counted(live, 4)); });
        in_given.join();
        CHECK(live == 2); // the given context keeps what the thread set
        CHECK(given.at(var).value == 4);
    }

    TEST_CASE("a std::thread's context values are destroyed when the thread ends") {
        IsolatedFlow flow;
        std::atomic<int> live{0};
        ContextVar<Counted> var{"counted"};
        std::thread([&] {
            var.set(Counted(live, 1));
            var.set(Counted(live, 2));
            auto keep = ctxvar::copy_context(); // a copy made and dropped in the thread
        }).join();
        CHECK(live == 0);
    }

    TEST_CASE("move-only values are set by move and read in place") {
        IsolatedFlow flow;
        ContextVar<std::unique_ptr<int>> var{"owned"};
        auto p = std::make_unique<int>(5);
        int* const raw = p.get();
        auto token = var.set(std::move(p));
        CHECK(var.get().get() == raw);
        CHECK(*var.get() == 5);
        CHECK(token.old_value() == nullptr);

        auto second = var.set(std::make_unique<int>(6));
        REQUIRE(second.old_value() != nullptr);
        CHECK(second.old_value()->get() == raw);
        var.reset(second);
        CHECK(var.get().get() == raw);

        var.emplace(new int(7));
        CHECK(*var.get() == 7);
    }

    TEST_CASE("values neither copyable nor movable are constructed in place with emplace") {
        IsolatedFlow flow;
        std::atomic<int> live{0};
        {
            ContextVar<Pinned> var{"pinned"};
            auto first = var.emplace(live, "first");
            CHECK(var.get().name == "first");
            CHECK(live == 1);
            auto second = var.emplace(live, "second");
            CHECK(var.get().name == "second");
            CHECK(live == 2); // the second token holds the first value
            REQUIRE(second.old_value() != nullptr);
            CHECK(second.old_value()->name == "first");
            var.reset(first); // unset: the second value goes with the snapshot
            CHECK(var.get_if() == nullptr);
            CHECK(live == 1);
        }
        CHECK(live == 0); // the tokens are gone, and the first value with them
    }

    TEST_CASE("a thread_local destructor in a std::thread reads the thread's value") {
        IsolatedFlow flow;
        ContextVar<int> var{"read_at_exit", 0};
        std::atomic<int> touched_first{-2};
        std::atomic<int> set_first{-2};

        // The thread_local constructed before the thread's first set (so before its context).
        std::thread([&] {
            read_at_thread_exit.var = &var;
            read_at_thread_exit.seen = &touched_first;
            var.set(41);
        }).join();
        // ... and after it.
        std::thread([&] {
            var.set(42);
            read_at_thread_exit.var = &var;
            read_at_thread_exit.seen = &set_first;
        }).join();

        CHECK(touched_first == 41);
        CHECK(set_first == 42);
    }

    TEST_CASE("a thread_local destructor in a ctxvar::Thread reads defaults") {
        IsolatedFlow flow;
        ContextVar<int> var{"read_at_exit", 0};
        var.set(1);
        std::atomic<int> seen{-2};
        ctxvar::Thread t([&] {
            var.set(2);
            read_at_thread_exit.var = &var;
            read_at_thread_exit.seen = &seen;
        });
        t.join();
        CHECK(seen == 0); // the thread's function has returned: no context is current
    }

    TEST_CASE("a value set from a thread_local destructor is released when the thread ends") {
        IsolatedFlow flow;
        std::atomic<int> live{0};
        ContextVar<Counted> var{"set_at_exit"};
        std::thread([&] {
            set_at_thread_exit.var = &var;
            set_at_thread_exit.live = &live;
        }).join(); // a thread without a context before its thread_local destructors
        CHECK(live == 0);

        std::thread([&] {
            var.set(Counted(live, 1));
            set_at_thread_exit.var = &var;
            set_at_thread_exit.live = &live;
        }).join();
        CHECK(live == 0);

        ctxvar::Thread t([&] {
            set_at_thread_exit.var = &var;
            set_at_thread_exit.live = &live;
        });
        t.join();
        CHECK(live == 0);
    }
}
