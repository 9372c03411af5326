// Tests of variables across threads: each thread sees only its own values (CPython's
// test_context_threads_1), what raw std::threads and ctxvar::Threads start with, contexts
// refused on a second thread while entered on a first, Thread::join's exceptions, and
// bind_context.
#include "test_helpers.hpp"

#include <ctxvar/bind_context.hpp>
#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/errors.hpp>
#include <ctxvar/thread.hpp>

#include <doctest/doctest.h>

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <latch>
#include <random>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

using namespace context_test;
using ctxvar::Context;
using ctxvar::ContextVar;

namespace {

constexpr int thread_count = 10;
constexpr int rounds = 10;

// One thread's work in the "own values" tests: sets the shared variables to values only this
// thread uses, sleeps a random few microseconds (so threads interleave), and checks that it
// reads back its own values. Returns how many reads were wrong.
int set_and_read(int num, ContextVar<int>& number, ContextVar<std::string>& text,
                 std::uint64_t seed) {
    std::mt19937_64 random(seed + static_cast<std::uint64_t>(num));
    std::uniform_int_distribution<int> micros(0, 200);
    int wrong = 0;
    for (int i = 0; i != rounds; ++i) {
        number.set(num * 100 + i);
        text.set("thread " + std::to_string(num));
        std::this_thread::sleep_for(std::chrono::microseconds(micros(random)));
        wrong += number.get() != num * 100 + i;
        wrong += text.get() != "thread " + std::to_string(num);
    }
    return wrong;
}

} // namespace

TEST_SUITE("context") {
    TEST_CASE("ten ctxvar::Threads setting the same variables each see only their own values") {
        IsolatedFlow flow;
        const std::uint64_t seed = test_seed(0x7e57);
        INFO("CTXVAR_SEED=", seed);
        ContextVar<int> number{"number"};
        ContextVar<std::string> text{"text", "main"};
        number.set(-1);

        std::atomic<int> wrong{0};
        std::vector<int> results(thread_count, -1);
        {
            std::vector<ctxvar::Thread> threads;
            for (int num = 0; num != thread_count; ++num) {
                threads.emplace_back([&, num] {
                    wrong += number.get_or(0) != -1; // started in a copy of the creator's context
                    wrong += set_and_read(num, number, text, seed);
                    results[static_cast<std::size_t>(num)] = num;
                });
            }
            for (auto& t : threads) {
                CHECK_NOTHROW(t.join());
            }
        }
        CHECK(wrong == 0);
        for (int num = 0; num != thread_count; ++num) {
            CHECK(results[static_cast<std::size_t>(num)] == num);
        }
        CHECK(number.get() == -1);
        CHECK(text.get() == "main");
    }

    TEST_CASE("ten std::threads setting the same variables each see only their own values") {
        IsolatedFlow flow;
        const std::uint64_t seed = test_seed(0xface);
        INFO("CTXVAR_SEED=", seed);
        ContextVar<int> number{"number"};
        ContextVar<std::string> text{"text", "main"};
        number.set(-1);

        std::atomic<int> wrong{0};
        std::atomic<int> saw_creator_value{0};
        {
            std::vector<std::thread> threads;
            for (int num = 0; num != thread_count; ++num) {
                threads.emplace_back([&, num] {
                    saw_creator_value += number.get_if() != nullptr;
                    wrong += set_and_read(num, number, text, seed);
                });
            }
            for (auto& t : threads) {
                t.join();
            }
        }
        CHECK(wrong == 0);
        CHECK(saw_creator_value == 0);
        CHECK(number.get() == -1);
        CHECK(text.get() == "main");
    }

    TEST_CASE("a std::thread starts with no context: variables read their defaults") {
        IsolatedFlow flow;
        ContextVar<int> with_default{"with_default", 5};
        ContextVar<int> without{"without"};
        with_default.set(1);
        without.set(2);

        int read_default = 0;
        bool without_unset = false;
        bool had_context = true;
        bool has_context_after_set = false;
        std::thread([&] {
            had_context = flow_has_context();
            read_default = with_default.get();
            without_unset = without.get_if() == nullptr;
            without.set(3);
            has_context_after_set = flow_has_context();
        }).join();
        CHECK_FALSE(had_context);
        CHECK(read_default == 5);
        CHECK(without_unset);
        CHECK(has_context_after_set);
        CHECK(without.get() == 2);
    }

    TEST_CASE("a ctxvar::Thread starts in a copy of its creator's context") {
        IsolatedFlow flow;
        ContextVar<int> v{"v"};
        v.set(1);
        const Context creator = ctxvar::copy_context();
        int seen = 0;
        int seen_after_set = 0;
        bool equal_to_creators = false;
        ctxvar::Thread t([&] {
            seen = v.get();
            equal_to_creators = ctxvar::copy_context() == creator;
            v.set(2); // not visible to the creator
            seen_after_set = v.get();
        });
        t.join();
        CHECK(seen == 1);
        CHECK(equal_to_creators);
        CHECK(seen_after_set == 2);
        CHECK(v.get() == 1);
        CHECK(creator.at(v) == 1);
    }

    TEST_CASE("a ctxvar::Thread takes its copy when it is created, not when it runs") {
        IsolatedFlow flow;
        ContextVar<int> v{"v"};
        v.set(1);
        std::promise<void> go;
        std::shared_future<void> started = go.get_future().share();
        int seen = 0;
        ctxvar::Thread t([&] {
            started.wait();
            seen = v.get();
        });
        v.set(2); // after creation, before the thread reads
        go.set_value();
        t.join();
        CHECK(seen == 1);
    }

    TEST_CASE("a ctxvar::Thread with empty_context starts in a new empty context") {
        IsolatedFlow flow;
        ContextVar<int> v{"v", 5};
        v.set(1);
        int seen = 0;
        bool empty = false;
        ctxvar::Thread t(ctxvar::empty_context, [&] {
            seen = v.get();
            empty = ctxvar::copy_context().empty();
            v.set(3);
        });
        t.join();
        CHECK(seen == 5);
        CHECK(empty);
        CHECK(v.get() == 1);
    }

    TEST_CASE("a ctxvar::Thread given a Context runs inside it, and its sets stay there") {
        IsolatedFlow flow;
        ContextVar<int> v{"v"};
        const Context ctx;
        ctx.run([&] { v.set(1); });
        int seen = 0;
        ctxvar::Thread t(
            ctx,
            [&](int add) {
                seen = v.get();
                v.set(v.get() + add);
            },
            10);
        t.join();
        CHECK(seen == 1);
        CHECK(ctx.at(v) == 11);
        CHECK(v.get_if() == nullptr);
        ctx.run([] {}); // exited by the thread: enterable again
    }

    TEST_CASE("a ctxvar::Thread given an entered context reports ContextEnteredError from join") {
        IsolatedFlow flow;
        const Context ctx;
        std::atomic<bool> called{false};
        ctx.run([&] {
            ctxvar::Thread t(ctx, [&] { called = true; });
            const std::string message = message_of<ctxvar::ContextEnteredError>([&] { t.join(); });
            CHECK(message.starts_with("cannot enter context:"));
            CHECK_FALSE(t.joinable());
        });
        CHECK_FALSE(called);
    }

    TEST_CASE("a context entered on one thread is refused on another until it exits") {
        IsolatedFlow flow;
        ContextVar<int> v{"v"};
        const Context ctx;
        std::promise<void> entered;
        std::promise<void> may_exit;
        std::string refused_message;
        bool second_entry_ran = false;

        std::thread first([&] {
            ctx.run([&] {
                v.set(1);
                entered.set_value();
                may_exit.get_future().wait();
            });
        });
        entered.get_future().wait();
        std::thread second([&] {
            refused_message = message_of<ctxvar::ContextEnteredError>(
                [&] { ctx.run([&] { second_entry_ran = true; }); });
        });
        second.join();
        may_exit.set_value();
        first.join();

        CHECK(refused_message.starts_with("cannot enter context:"));
        CHECK(refused_message.ends_with("is already entered"));
        CHECK_FALSE(second_entry_ran);

        // Once the first thread has exited it, another thread runs it and sees its values.
        int seen = 0;
        std::thread([&] { seen = ctx.run([&] { return v.get(); }); }).join();
        CHECK(seen == 1);
    }

    TEST_CASE("several threads may read one context object at once") {
        IsolatedFlow flow;
        std::vector<ContextVar<int>> vars;
        for (int i = 0; i != 20; ++i) {
            vars.emplace_back("v" + std::to_string(i));
        }
        const Context ctx;
        ctx.run([&] {
            for (int i = 0; i != 20; ++i) {
                vars[static_cast<std::size_t>(i)].set(i);
            }
        });

        constexpr int readers = 4;
        std::latch start(readers);
        std::atomic<int> wrong{0};
        {
            std::vector<std::thread> threads;
            for (int r = 0; r != readers; ++r) {
                threads.emplace_back([&] {
                    start.arrive_and_wait();
                    // Installed (not entered) on every thread at once: get() through the slot.
                    ctxvar::SavedContext mine = ctxvar::switch_context(ctxvar::SavedContext(ctx));
                    for (int round = 0; round != 50; ++round) {
                        for (int i = 0; i != 20; ++i) {
                            wrong += vars[static_cast<std::size_t>(i)].get() != i;
                        }
                    }
                    ctxvar::SavedContext back = ctxvar::switch_context(std::move(mine));
                    // The mapping view, copies and comparison.
                    for (int i = 0; i != 20; ++i) {
                        wrong += ctx.at(vars[static_cast<std::size_t>(i)]) != i;
                    }
                    int items = 0;
                    for (auto&& item : ctx) {
                        items += item.get_if<int>() != nullptr;
                    }
                    wrong += items != 20;
                    const Context copy = ctx.copy();
                    wrong += !(copy == ctx);
                });
            }
            for (auto& t : threads) {
                t.join();
            }
        }
        CHECK(wrong == 0);
    }

    TEST_CASE("Thread::join rethrows the exception that ended the thread's function") {
        IsolatedFlow flow;
        ctxvar::Thread t([] { throw Boom(); });
        CHECK_THROWS_WITH_AS(t.join(), "boom", Boom);
        CHECK_FALSE(t.joinable());

        ctxvar::Thread fine([] {});
        CHECK_NOTHROW(fine.join());
    }

    TEST_CASE("a ctxvar::Thread passes its stop_token and copies of its arguments") {
        IsolatedFlow flow;
        std::atomic<bool> stopped{false};
        std::string received;
        std::string argument = "arg";
        {
            ctxvar::Thread t(
                [&](std::stop_token stop, std::string s) {
                    received = s;
                    while (!stop.stop_requested()) {
                        std::this_thread::sleep_for(std::chrono::microseconds(50));
                    }
                    stopped = true;
                },
                argument);
            argument = "changed"; // the thread got a copy made before
        }                         // the destructor requests stop and joins
        CHECK(stopped);
        CHECK(received == "arg");
    }

    TEST_CASE("bind_context runs the callable in the bind-time snapshot, on another thread") {
        IsolatedFlow flow;
        ContextVar<int> v{"v", 0};
        v.set(1);
        auto bound = ctxvar::bind_context([&](int add) { return v.get() + add; });
        v.set(2); // after binding: not seen by the callable

        int result = 0;
        std::thread([&] { result = bound(10); }).join();
        CHECK(result == 11);
        CHECK(bound(100) == 101); // the binding thread's own later sets are not seen either
        CHECK(v.get() == 2);
    }

    TEST_CASE("each call of a bind_context callable gets a fresh copy of the snapshot") {
        IsolatedFlow flow;
        ContextVar<int> v{"v", 0};
        v.set(1);
        auto bound = ctxvar::bind_context([&] {
            const int before = v.get();
            v.set(before + 1);
            return before;
        });
        int first = 0;
        int second = 0;
        std::thread([&] {
            first = bound();
            second = bound();
        }).join();
        CHECK(first == 1);
        CHECK(second == 1); // the first call's set is not seen
        CHECK(v.get() == 1);
    }

    TEST_CASE("one bind_context callable may be called from several threads at once") {
        IsolatedFlow flow;
        ContextVar<int> v{"v"};
        v.set(7);
        auto bound = ctxvar::bind_context([&](int num) {
            const bool fresh = v.get() == 7;
            v.set(num);
            std::this_thread::sleep_for(std::chrono::microseconds(100));
            return fresh && v.get() == num;
        });
        std::latch start(4);
        std::atomic<int> good{0};
        {
            std::vector<std::thread> threads;
            for (int num = 0; num != 4; ++num) {
                threads.emplace_back([&, num] {
                    start.arrive_and_wait();
                    for (int i = 0; i != 5; ++i) {
                        good += bound(num) ? 1 : 0;
                    }
                });
            }
            for (auto& t : threads) {
                t.join();
            }
        }
        CHECK(good == 20);
    }

    TEST_CASE("bind_context(ctx, f) runs in ctx itself: one call's sets are seen by the next") {
        IsolatedFlow flow;
        ContextVar<int> v{"v", 0};
        const Context ctx;
        auto bound = ctxvar::bind_context(ctx, [&] {
            v.set(v.get() + 1);
            return v.get();
        });
        int first = 0;
        std::thread([&] { first = bound(); }).join();
        CHECK(first == 1);
        CHECK(bound() == 2);
        CHECK(ctx.at(v) == 2);
        CHECK(v.get() == 0);
    }

    TEST_CASE("bind_context(ctx, f) called while ctx is entered throws ContextEnteredError") {
        IsolatedFlow flow;
        const Context ctx;
        bool called = false;
        auto bound = ctxvar::bind_context(ctx, [&] { called = true; });
        ctx.run([&] { CHECK_THROWS_AS(bound(), ctxvar::ContextEnteredError); });
        CHECK_FALSE(called);
        bound();
        CHECK(called);
    }

    TEST_CASE("a ctxvar::Thread whose function calls pthread_exit ends normally") {
        IsolatedFlow flow;
        std::atomic<bool> reached{false};
        ctxvar::Thread t{[&] {
            reached = true;
            pthread_exit(nullptr); // unwinds with abi::__forced_unwind, which must pass through
        }};
        CHECK_NOTHROW(t.join());
        CHECK(reached);
    }
}
