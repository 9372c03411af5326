// The C++ exception-handling state is kept per greenlet: handlers that end out of order across
// greenlets end their own exceptions, and std::uncaught_exceptions() counts only this greenlet's.
#include "to_parent.hpp"

#include <ctxvar/fibers/greenlet.hpp>

#include <doctest/doctest.h>

#include <any>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>

using ctxvar::fibers::Greenlet;
using fibers_test::to_parent;

TEST_SUITE("fibers") {

    TEST_CASE(
        "catch handlers in two greenlets that end out of order each keep their own exception") {
        std::string seen_by_greenlet;
        auto g = Greenlet::create([&](std::any) -> std::any {
            try {
                throw std::runtime_error("greenlet's");
            } catch (const std::runtime_error& e) {
                to_parent(); // suspended inside the handler
                seen_by_greenlet = e.what();
                seen_by_greenlet += std::current_exception() ? "+current" : "";
            }
            return {};
        });
        g->switch_to();
        try {
            throw std::logic_error("main's");
        } catch (const std::logic_error& e) {
            g->switch_to(); // the greenlet ends its handler while this one is still open
            CHECK(std::string(e.what()) == "main's");
            // Without the switch of the exception state, the greenlet's handler would have ended
            // this exception (freeing it), and current_exception() would be empty or dangling here.
            std::exception_ptr current = std::current_exception();
            REQUIRE(current);
            CHECK_THROWS_WITH_AS(std::rethrow_exception(current), "main's", std::logic_error);
        }
        CHECK(seen_by_greenlet == "greenlet's+current");
        CHECK_FALSE(std::current_exception());
    }

    TEST_CASE("std::uncaught_exceptions() counts the running greenlet's unwinding only") {
        int seen_in_main = -1;
        int seen_in_destructor = -1;
        struct SwitchesWhileUnwinding {
            int* seen;
            ~SwitchesWhileUnwinding() {
                *seen = std::uncaught_exceptions();
                to_parent();
            }
        };
        auto g = Greenlet::create([&](std::any) -> std::any {
            try {
                SwitchesWhileUnwinding s{&seen_in_destructor};
                throw std::runtime_error("unwinding");
            } catch (const std::runtime_error&) {
            }
            return {};
        });
        g->switch_to(); // suspended in a destructor during the unwinding
        seen_in_main = std::uncaught_exceptions();
        g->switch_to();
        CHECK(seen_in_destructor == 1);
        CHECK(seen_in_main == 0);
        CHECK(g->dead());
    }

} // TEST_SUITE
