// The locals inside greenlets: a Local, a LocalStack and a proxy over it are isolated between
// greenlets that interleave, and shared between greenlets that share a context.
#include "to_parent.hpp"
#include <ctxvar/ctxvar.hpp>

#include <ctxvar/fibers/greenlet.hpp>

#include <doctest/doctest.h>

#include <any>
#include <memory>
#include <string>
#include <vector>

using ctxvar::fibers::Greenlet;
using fibers_test::to_parent;

namespace {

struct Request {
    int id;
};

} // namespace

TEST_SUITE("fibers") {

    TEST_CASE("locals are isolated between interleaving greenlets, each in its own context") {
        ctxvar::Local local;
        ctxvar::LocalStack<Request*> stack;
        ctxvar::LocalProxy<Request> request{stack};
        constexpr int count = 8;
        std::vector<Request> requests;
        for (int i = 0; i < count; ++i) {
            requests.push_back(Request{i});
        }
        std::vector<std::shared_ptr<Greenlet>> greenlets;
        int mismatches = 0;
        for (int i = 0; i < count; ++i) {
            greenlets.push_back(Greenlet::create([&, i](std::any) -> std::any {
                stack.push(&requests[i]);
                local.set("user", "user" + std::to_string(i));
                for (int round = 0; round < 3; ++round) {
                    to_parent();
                    mismatches += request->id != i;
                    mismatches += stack.size() != 1;
                    mismatches += local.get<std::string>("user") != "user" + std::to_string(i);
                }
                return request->id;
            }));
            greenlets.back()->set_context(ctxvar::Context{});
        }
        for (int round = 0; round < 4; ++round) {
            for (auto& g : greenlets) {
                g->switch_to();
                CHECK_FALSE(request.is_bound()); // nothing leaks into the main greenlet
                CHECK_FALSE(local.contains("user"));
            }
        }
        CHECK(mismatches == 0);
        for (auto& g : greenlets) {
            CHECK(g->dead());
        }
    }

    TEST_CASE("a LocalStack is shared by greenlets that share a context") {
        ctxvar::LocalStack<int> stack;
        auto g = Greenlet::create([&](std::any) -> std::any {
            stack.push(2);
            return {};
        });
        stack.push(1); // creates the main greenlet's context
        g->set_context(Greenlet::current()->context());
        g->switch_to();
        CHECK(stack.size() == 2);
        CHECK(*stack.top() == 2);
        stack.release();
    }

} // TEST_SUITE
