// Tests of LocalManager: cleanup of a mix of locals and stacks, the middleware around handlers
// (results, arguments, exceptions on either side), and a Flask-style request and app stack.
#include "../context/test_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/local.hpp>
#include <ctxvar/local_manager.hpp>
#include <ctxvar/local_proxy.hpp>
#include <ctxvar/local_stack.hpp>
#include <ctxvar/thread.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace context_test;
using ctxvar::LocalManager;

namespace {
// A user type a manager can manage: its release() records the call and may throw.
struct Recorder {
    std::shared_ptr<std::vector<std::string>> log;
    std::string name;
    bool fail = false;
    void release() const {
        log->push_back(name);
        if (fail) {
            throw std::runtime_error("release of " + name + " failed");
        }
    }
};

struct CleanupError : std::runtime_error {
    CleanupError() : std::runtime_error("cleanup failed") {}
};
struct FailingRelease {
    void release() const { throw CleanupError(); }
};

// The application and request objects of the Flask-style test.
struct App {
    std::string name;
};
struct Request {
    std::string path;
    std::map<std::string, std::string> headers;
};
} // namespace

TEST_SUITE("locals") {
    TEST_CASE("cleanup releases every managed local and stack in the current context only") {
        IsolatedFlow flow;
        ctxvar::Local local;
        ctxvar::LocalStack<int> stack;
        ctxvar::LocalStack<std::string> names;
        LocalManager manager{local, stack};
        manager.add(names);

        local.set("a", 1);
        stack.push(1);
        names.push("x");
        ctxvar::Context copy = ctxvar::copy_context();
        manager.cleanup();
        CHECK(local.empty());
        CHECK(stack.empty());
        CHECK(names.empty());
        copy.run([&] {
            CHECK(local.get<int>("a") == 1);
            CHECK(stack.size() == 1);
            CHECK(names.size() == 1);
        });
        manager.cleanup(); // nothing left: a no-op
        CHECK(local.empty());
    }

    TEST_CASE("cleanup tries every release in order and rethrows the first failure") {
        IsolatedFlow flow;
        auto log = std::make_shared<std::vector<std::string>>();
        ctxvar::LocalStack<int> stack;
        LocalManager manager{Recorder{log, "a"}, Recorder{log, "b", true}, stack,
                             Recorder{log, "c", true}};
        stack.push(1);
        CHECK_THROWS_WITH_AS(manager.cleanup(), "release of b failed", std::runtime_error);
        CHECK(*log == std::vector<std::string>{"a", "b", "c"});
        CHECK(stack.empty());
    }

    TEST_CASE("middleware forwards arguments and the result, and cleans up after each call") {
        IsolatedFlow flow;
        ctxvar::Local g;
        ctxvar::LocalStack<int> depth;
        LocalManager manager{g, depth};
        int calls = 0;
        auto handler = manager.middleware([&](const std::string& who, int n) {
            ++calls;
            CHECK(g.empty()); // each call starts clean
            g.set("who", who);
            depth.push(n);
            return who + ":" + std::to_string(n) + ":" + std::to_string(depth.size());
        });
        CHECK(handler("ann", 1) == "ann:1:1");
        CHECK(g.empty());
        CHECK(depth.empty());
        CHECK(handler("bob", 2) == "bob:2:1");
        CHECK(calls == 2);
    }

    TEST_CASE("middleware forwards a reference result and a void handler") {
        IsolatedFlow flow;
        ctxvar::Local g;
        LocalManager manager{g};
        int target = 0;
        auto by_ref = manager.middleware([&]() -> int& { return target; });
        by_ref() = 5;
        CHECK(target == 5);
        auto returns_nothing = manager.middleware([&] { g.set("x", 1); });
        returns_nothing();
        CHECK(g.empty());
    }

    TEST_CASE("middleware cleans up when the handler throws, and the handler's error propagates") {
        IsolatedFlow flow;
        ctxvar::Local g;
        LocalManager manager{g};
        auto handler = manager.middleware([&] {
            g.set("user", std::string{"ann"});
            throw Boom();
        });
        CHECK_THROWS_AS(handler(), Boom);
        CHECK(g.empty());
    }

    TEST_CASE("when handler and cleanup both throw, the handler's exception wins") {
        IsolatedFlow flow;
        ctxvar::Local g;
        LocalManager manager{FailingRelease{}, g};
        auto handler = manager.middleware([&] {
            g.set("x", 1);
            throw Boom();
        });
        CHECK_THROWS_AS(handler(), Boom);
        CHECK(g.empty()); // the later release ran despite the first one's failure
    }

    TEST_CASE("when only cleanup throws, its exception propagates and the result is destroyed") {
        IsolatedFlow flow;
        std::atomic<int> live{0};
        LocalManager manager{FailingRelease{}};
        auto handler = manager.middleware([&] { return Counted(live, 1); });
        CHECK_THROWS_AS(handler(), CleanupError);
        CHECK(live == 0);
    }

    TEST_CASE("a Flask-style request and app stack serve concurrent requests through middleware") {
        IsolatedFlow flow;
        ctxvar::LocalStack<Request*> request_stack;
        ctxvar::LocalStack<const App*> app_stack;
        ctxvar::Local g;
        ctxvar::LocalProxy<Request> request{request_stack, "Working outside of request context."};
        ctxvar::LocalProxy<const App> current_app{app_stack,
                                                  "Working outside of application context."};
        LocalManager manager{request_stack, app_stack, g};
        const App app{"shop"};

        // The view reads the request, the app and `g` through proxies and locals only.
        const auto view = [&] {
            g.set("user", request->headers.at("user"));
            request->headers["seen-by"] = current_app->name;
            return current_app->name + " " + request->path + " for " + g.get<std::string>("user");
        };
        auto dispatch = manager.middleware([&](Request& r) {
            app_stack.push(&app);
            request_stack.push(&r);
            return view();
        });

        CHECK_THROWS_WITH_AS(request->path, "Working outside of request context.",
                             ctxvar::UnboundError);
        std::vector<std::string> results(8);
        std::vector<Request> requests(8);
        {
            std::vector<ctxvar::Thread> workers;
            for (int i = 0; i < 8; ++i) {
                requests[i] =
                    Request{"/item/" + std::to_string(i), {{"user", "u" + std::to_string(i)}}};
                workers.emplace_back([&, i] {
                    for (int round = 0; round < 50; ++round) {
                        results[i] = dispatch(requests[i]);
                        CHECK_FALSE(request.is_bound());
                        CHECK(g.empty());
                    }
                });
            }
        }
        for (int i = 0; i < 8; ++i) {
            CHECK(results[i] == "shop /item/" + std::to_string(i) + " for u" + std::to_string(i));
            CHECK(requests[i].headers.at("seen-by") == "shop");
        }
        CHECK_FALSE(request.is_bound());
        CHECK_FALSE(current_app.is_bound());
    }
}
