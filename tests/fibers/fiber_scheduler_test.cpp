// The context scheduler on one thread (round_robin): each fiber has its own context across
// yields, new fibers start in a copy (or empty, or in a given Context), the main context keeps
// its own, and a finished fiber lets its context go.
#include "boost_fiber_support.hpp"

#include <ctxvar/ctxvar.hpp>
#include <ctxvar/fibers/scheduler.hpp>

#include <boost/fiber/all.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace bf = boost::fibers;
using ctxvar::fibers::make_fiber;
using fibers_test::on_fiber_thread;

namespace {

ctxvar::ContextVar<int> number("number", -1);

// Counts its live objects: a context that holds one releases it when the count drops.
struct Counted {
    static inline std::atomic<int> live{0};
    Counted() { ++live; }
    Counted(const Counted&) { ++live; }
    ~Counted() { --live; }
};

constexpr bf::launch both_policies[] = {bf::launch::post, bf::launch::dispatch};

const char* name_of(bf::launch policy) {
    return policy == bf::launch::post ? "launch::post" : "launch::dispatch";
}

} // namespace

TEST_SUITE("boost_fiber") {

    TEST_CASE("Boost.Fiber exclusions") {
        // Prints, in a build that excludes them, each Boost.Fiber test left out and why.
        for (const char* name : fibers_test::excluded_tests()) {
            MESSAGE((std::string("excluded under ThreadSanitizer: \"") + name +
                     "\": " + fibers_test::boost_fiber_exclusion_reason));
        }
        CHECK(fibers_test::excluded_tests().empty() == !fibers_test::boost_fiber_excluded);
    }

    BOOST_FIBER_TEST_CASE("fibers that yield to each other each keep their own value") {
        on_fiber_thread<bf::algo::round_robin>([] {
            int mismatches = 0;
            std::vector<bf::fiber> fibers;
            for (int i = 0; i < 8; ++i) {
                fibers.emplace_back([i, &mismatches] {
                    number.set(i);
                    for (int round = 0; round < 50; ++round) {
                        boost::this_fiber::yield();
                        mismatches += number.get() != i;
                        number.set(i); // a set after every switch: a fresh object each time
                    }
                });
            }
            number.set(100);
            for (auto& f : fibers) {
                f.join();
            }
            CHECK(mismatches == 0);
            CHECK(number.get() == 100); // the main context kept its own
        });
    }

    BOOST_FIBER_TEST_CASE("a new fiber starts in a copy of its creator's context, either policy") {
        on_fiber_thread<bf::algo::round_robin>([] {
            for (bf::launch policy : both_policies) {
                CAPTURE(name_of(policy));
                number.set(1);
                int seen_at_start = 0;
                int seen_later = 0;
                bf::fiber child(policy, [&] {
                    seen_at_start = number.get();
                    number.set(2); // invisible to the creator
                    boost::this_fiber::yield();
                    seen_later = number.get();
                });
                number.set(3); // after the creation: invisible to the child
                child.join();
                CHECK(seen_at_start == 1);
                CHECK(seen_later == 2);
                CHECK(number.get() == 3);
            }
        });
    }

    BOOST_FIBER_TEST_CASE("make_fiber: a copy, an empty context or a given one, either policy") {
        on_fiber_thread<bf::algo::round_robin>([] {
            for (bf::launch policy : both_policies) {
                CAPTURE(name_of(policy));
                number.set(1);

                int copied = 0;
                bf::fiber a = make_fiber(policy, ctxvar::fibers::inherit_context, [&] {
                    copied = number.get();
                    number.set(10);
                });
                int empty = 0;
                bf::fiber b = make_fiber(policy, ctxvar::empty_context, [&] {
                    empty = number.get();
                    number.set(20);
                });
                ctxvar::Context given;
                given.run([] { number.set(7); });
                int in_given = 0;
                bf::fiber c = make_fiber(policy, given, [&] {
                    in_given = number.get();
                    boost::this_fiber::yield();
                    number.set(30); // lands in `given`, which the fiber entered
                });
                number.set(4);
                a.join();
                b.join();
                c.join();
                CHECK(copied == 1);
                CHECK(empty == -1);
                CHECK(in_given == 7);
                CHECK(given.at(number) == 30);
                CHECK(number.get() == 4);
                given.run([] { number.set(8); }); // the fiber's entry is gone
                CHECK(given.at(number) == 8);
            }
        });
    }

    BOOST_FIBER_TEST_CASE("make_fiber into an entered Context throws in the creator") {
        on_fiber_thread<bf::algo::round_robin>([] {
            ctxvar::Context given;
            bool ran = false;
            given.run([&] {
                CHECK_THROWS_AS(make_fiber(given, [&] { ran = true; }),
                                ctxvar::ContextEnteredError);
            });
            bf::fiber holder = make_fiber(given, [] { boost::this_fiber::yield(); });
            CHECK_THROWS_AS(given.run([] {}), ctxvar::ContextEnteredError);
            CHECK_THROWS_AS(make_fiber(given, [] {}), ctxvar::ContextEnteredError);
            holder.join();
            boost::this_fiber::yield();
            CHECK_FALSE(ran);
            CHECK_NOTHROW(given.run([] {}));
        });
    }

    BOOST_FIBER_TEST_CASE("a finished fiber releases its context at once") {
        static ctxvar::ContextVar<std::shared_ptr<Counted>> held("held");
        on_fiber_thread<bf::algo::round_robin>([] {
            REQUIRE(Counted::live == 0);
            bf::fiber plain([] { held.set(std::make_shared<Counted>()); });
            bf::fiber made = make_fiber(ctxvar::fibers::inherit_context, [] {
                held.set(std::make_shared<Counted>());
                boost::this_fiber::yield();
            });
            boost::this_fiber::yield(); // both have set; the plain one has finished
            CHECK(Counted::live == 1);  // not joined yet, and its context is gone already
            made.join();
            CHECK(Counted::live == 0);
            plain.join();
        });
    }

    BOOST_FIBER_TEST_CASE("the main context keeps its own context across its fibers") {
        on_fiber_thread<bf::algo::round_robin>([] {
            number.set(5);
            const ctxvar::Context before = ctxvar::copy_context();
            bf::fiber f([] {
                number.set(6);
                boost::this_fiber::sleep_for(std::chrono::milliseconds(1));
            });
            boost::this_fiber::yield();
            CHECK(number.get() == 5);
            f.join();
            CHECK(number.get() == 5);
            CHECK(ctxvar::copy_context() == before);
        });
    }

    BOOST_FIBER_TEST_CASE("misuse: make_fiber without the scheduler, a second scheduler") {
        std::thread plain([] {
            CHECK_THROWS_AS(make_fiber(ctxvar::empty_context, [] {}), std::logic_error);
            ctxvar::fibers::use_context_scheduler<bf::algo::round_robin>();
            CHECK_THROWS_AS(ctxvar::fibers::use_context_scheduler<bf::algo::round_robin>(),
                            std::logic_error);
            number.set(1);
            bf::fiber f([] { number.set(2); });
            f.join();
            CHECK(number.get() == 1); // still the one context scheduler, working
        });
        plain.join();
    }
}
