// Greenlet basics: value passing, return to parent, exceptions to parent, GreenletExit.
#include <ctxvar/fibers/greenlet.hpp>

#include <doctest/doctest.h>

#include <any>
#include <string>
#include <vector>

using ctxvar::fibers::Greenlet;
using ctxvar::fibers::GreenletExit;

TEST_SUITE("fibers") {

    TEST_CASE("a greenlet starts at its first switch and returns its result to the parent") {
        std::vector<int> order;
        auto g = Greenlet::create([&](std::any v) -> std::any {
            order.push_back(std::any_cast<int>(v));
            std::any back = Greenlet::current()->parent()->switch_to(std::string("paused"));
            order.push_back(std::any_cast<int>(back));
            return 42;
        });
        CHECK_FALSE(g->started());
        CHECK_FALSE(*g);
        std::any r = g->switch_to(1);
        CHECK(std::any_cast<std::string>(r) == "paused");
        CHECK(g->started());
        CHECK(*g);
        CHECK_FALSE(g->dead());
        r = g->switch_to(2);
        CHECK(std::any_cast<int>(r) == 42);
        CHECK(g->dead());
        CHECK(order == std::vector<int>{1, 2});
    }

} // TEST_SUITE
