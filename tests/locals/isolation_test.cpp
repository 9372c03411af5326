// Isolation of the locals between flows: threads running at once never see each other's values;
// a flow started in a copy sees the values as of the copy and keeps its writes; a flow given a
// context shares it. (Greenlets, Boost.Fiber fibers and coroutine tasks join when they exist.)
#include "../context/test_helpers.hpp"

#include <ctxvar/bind_context.hpp>
#include <ctxvar/context.hpp>
#include <ctxvar/local.hpp>
#include <ctxvar/local_proxy.hpp>
#include <ctxvar/local_stack.hpp>
#include <ctxvar/thread.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <string>
#include <vector>

using namespace context_test;

namespace {
// The locals every test below uses, as a server would declare them: globals shared by all flows.
struct Locals {
    ctxvar::Local local;
    ctxvar::LocalStack<std::string> stack;
    ctxvar::LocalProxy<const std::string> top{stack};
    ctxvar::LocalProxy<const std::string> user{local, "user"};

    // Writes `tag` everywhere, so a flow can later check it still sees only its own tag.
    void write(const std::string& tag) const {
        local.set("user", tag);
        stack.push(tag);
    }
    bool sees(const std::string& tag) const {
        return local.get_if<std::string>("user") != nullptr &&
               local.get<std::string>("user") == tag && stack.top() != nullptr &&
               *stack.top() == tag && top.get() == tag && user.get() == tag;
    }
    bool sees_nothing() const {
        return local.empty() && stack.empty() && !top.is_bound() && !user.is_bound();
    }
};
} // namespace

TEST_SUITE("locals") {
    TEST_CASE("threads running at once never see each other's locals, stacks or proxies") {
        IsolatedFlow flow;
        const Locals locals;
        constexpr int threads = 4;
        std::barrier sync(threads);
        std::atomic<int> mismatches{0};
        {
            std::vector<ctxvar::Thread> workers;
            for (int t = 0; t < threads; ++t) {
                workers.emplace_back([&, t] {
                    const std::string tag = "thread " + std::to_string(t);
                    for (int round = 0; round < 200; ++round) {
                        locals.write(tag + " round " + std::to_string(round));
                        sync.arrive_and_wait(); // every thread has written
                        if (!locals.sees(tag + " round " + std::to_string(round))) {
                            ++mismatches;
                        }
                        sync.arrive_and_wait(); // every thread has checked
                    }
                    if (locals.stack.size() != 200) {
                        ++mismatches;
                    }
                });
            }
        }
        CHECK(mismatches == 0);
        CHECK(locals.sees_nothing()); // the parent never wrote
    }

    TEST_CASE("a thread starts with the locals as of its start and keeps its writes") {
        IsolatedFlow flow;
        const Locals locals;
        locals.write("parent");
        std::barrier sync(2);
        ctxvar::Thread child([&] {
            CHECK(locals.sees("parent"));
            locals.write("child");
            sync.arrive_and_wait(); // the child wrote
            sync.arrive_and_wait(); // the parent wrote
            CHECK(locals.sees("child"));
            CHECK(locals.stack.size() == 2);
        });
        sync.arrive_and_wait();
        CHECK(locals.sees("parent"));
        locals.write("parent again");
        sync.arrive_and_wait();
        child.join();
        CHECK(locals.sees("parent again"));
        CHECK(locals.stack.size() == 2);
        CHECK(*locals.stack.pop() == "parent again");
        CHECK(*locals.stack.top() == "parent");
    }

    TEST_CASE("a thread started empty sees no locals") {
        IsolatedFlow flow;
        const Locals locals;
        locals.write("parent");
        ctxvar::Thread child(ctxvar::empty_context, [&] {
            CHECK(locals.sees_nothing());
            locals.write("child");
        });
        child.join();
        CHECK(locals.sees("parent"));
    }

    TEST_CASE("a thread given a context shares it: its writes are there afterwards") {
        IsolatedFlow flow;
        const Locals locals;
        ctxvar::Context shared;
        shared.run([&] { locals.write("before"); });
        ctxvar::Thread child(shared, [&] {
            CHECK(locals.sees("before"));
            locals.write("from the thread");
        });
        child.join();
        CHECK(locals.sees_nothing());
        shared.run([&] {
            CHECK(locals.sees("from the thread"));
            CHECK(locals.stack.size() == 2);
        });
    }

    TEST_CASE("a bound callback sees the locals as of binding, on any thread, each call afresh") {
        IsolatedFlow flow;
        const Locals locals;
        locals.write("at bind");
        auto callback = ctxvar::bind_context([&] {
            const bool saw = locals.sees("at bind");
            locals.write("inside the callback"); // lost with the callback's copy
            return saw;
        });
        locals.write("after bind");
        bool saw_on_thread = false;
        ctxvar::Thread([&] { saw_on_thread = callback(); }).join();
        CHECK(saw_on_thread);
        CHECK(callback()); // a fresh copy per call: the previous call's write is gone
        CHECK(locals.sees("after bind"));
        CHECK(locals.stack.size() == 2);
    }
}
