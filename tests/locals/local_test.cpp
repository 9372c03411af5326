// Tests of Local: named values of any type per context, its errors, copy-on-write against copied
// contexts, release, names and items, and the strong guarantee when an allocation fails.
#include "../context/alloc_failure.hpp"
#include "../context/test_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/local.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

using namespace context_test;
using ctxvar::Local;

TEST_SUITE("locals") {
    TEST_CASE("a Local stores named values of different types and reads them back") {
        IsolatedFlow flow;
        const Local local;
        CHECK(local.empty());
        local.set("user", std::string{"ann"});
        local.set("id", 42);
        local.set("ratio", 0.5);
        CHECK(local.size() == 3);
        CHECK(local.get<std::string>("user") == "ann");
        CHECK(local.get<int>("id") == 42);
        CHECK(local.get<const double>("ratio") == 0.5);
        CHECK(local.contains("id"));
        CHECK_FALSE(local.contains("ID"));
        CHECK(*local.type("user") == typeid(std::string));
        CHECK(local.type("missing") == nullptr);
    }

    TEST_CASE("set replaces a name's value, also with a value of another type") {
        IsolatedFlow flow;
        Local local;
        local.set("x", 1);
        local.set("x", 2);
        CHECK(local.get<int>("x") == 2);
        local.set("x", std::string{"two"});
        CHECK(local.size() == 1);
        CHECK(local.get<std::string>("x") == "two");
        CHECK(local.get_if<int>("x") == nullptr);
    }

    TEST_CASE("a string literal is stored as the pointer it decays to") {
        IsolatedFlow flow;
        Local local;
        local.set("s", "text");
        CHECK(*local.type("s") == typeid(const char*));
        CHECK(std::string(local.get<const char*>("s")) == "text");
    }

    TEST_CASE("emplace stores a type that can be neither copied nor moved") {
        IsolatedFlow flow;
        Local local;
        local.emplace<Immovable>("p", 7);
        CHECK(local.get<Immovable>("p").value == 7);
    }

    TEST_CASE("get of a missing name throws LookupError naming it") {
        IsolatedFlow flow;
        Local local;
        CHECK_THROWS_WITH_AS(local.get<int>("user"), "no value named 'user' in this Local",
                             ctxvar::LookupError);
        local.set("other", 1);
        CHECK_THROWS_WITH_AS(local.get<int>("user"), "no value named 'user' in this Local",
                             ctxvar::LookupError);
        CHECK(local.get_if<int>("user") == nullptr);
    }

    TEST_CASE("get of the wrong type throws invalid_argument naming both types") {
        IsolatedFlow flow;
        Local local;
        local.set("n", 3);
        CHECK_THROWS_WITH_AS(local.get<double>("n"), "'n' in this Local holds int, not double",
                             std::invalid_argument);
        CHECK(local.get_if<double>("n") == nullptr);
        CHECK(local.get<int>("n") == 3);
    }

    TEST_CASE("erase removes a name; erasing a missing name throws and changes nothing") {
        IsolatedFlow flow;
        Local local;
        local.set("a", 1);
        local.set("b", 2);
        local.erase("a");
        CHECK_FALSE(local.contains("a"));
        CHECK(local.get<int>("b") == 2);
        CHECK_THROWS_WITH_AS(local.erase("a"), "no value named 'a' in this Local",
                             ctxvar::LookupError);
        CHECK(local.names() == std::vector<std::string>{"b"});
        ctxvar::Context before = ctxvar::copy_context();
        CHECK_THROWS_AS(local.erase("zzz"), ctxvar::LookupError);
        CHECK(ctxvar::copy_context() == before);
    }

    TEST_CASE("names are sorted and items visit every name once with its value") {
        IsolatedFlow flow;
        Local local;
        CHECK(local.names().empty());
        CHECK(local.items().empty());
        for (int i = 0; i < 50; ++i) {
            local.set("k" + std::to_string(100 + i), i);
        }
        local.set("text", std::string{"t"});
        const std::vector<std::string> names = local.names();
        REQUIRE(names.size() == 51);
        CHECK(std::is_sorted(names.begin(), names.end()));
        CHECK(names.front() == "k100");
        CHECK(names.back() == "text");

        int sum = 0;
        int visited = 0;
        for (auto&& item : local.items()) {
            ++visited;
            if (item.type() == typeid(int)) {
                CHECK(item.name() == "k" + std::to_string(100 + item.get<int>()));
                sum += item.get<int>();
            } else {
                CHECK(item.name() == "text");
                CHECK(item.get<std::string>() == "t");
                CHECK(item.get_if<int>() == nullptr);
                CHECK_THROWS_WITH_AS(item.get<int>(), doctest::Contains("'text' in this Local"),
                                     std::invalid_argument);
            }
        }
        CHECK(visited == 51);
        CHECK(sum == 49 * 50 / 2);
    }

    TEST_CASE("a loop over items may erase names: it visits the contents as they were") {
        IsolatedFlow flow;
        Local local;
        for (int i = 0; i < 20; ++i) {
            local.set(std::to_string(i), i);
        }
        int visited = 0;
        for (auto&& item : local.items()) {
            local.erase(item.name());
            local.set("new" + item.name(), -1);
            ++visited;
        }
        CHECK(visited == 20);
        CHECK(local.size() == 20);
        CHECK(local.get<int>("new7") == -1);
    }

    TEST_CASE("a context copied before a set keeps the old values (copy on write)") {
        IsolatedFlow flow;
        Local local;
        local.set("user", std::string{"ann"});
        local.set("n", 1);
        ctxvar::Context before = ctxvar::copy_context();

        local.set("user", std::string{"bob"});
        local.erase("n");
        local.set("new", 2);

        before.run([&] {
            CHECK(local.get<std::string>("user") == "ann");
            CHECK(local.get<int>("n") == 1);
            CHECK_FALSE(local.contains("new"));
            // Writes inside the copy stay in it.
            local.set("n", 10);
        });
        CHECK(local.get<std::string>("user") == "bob");
        CHECK_FALSE(local.contains("n"));
        CHECK(local.get<int>("new") == 2);
        CHECK(before.run([&] { return local.get<int>("n"); }) == 10);
    }

    TEST_CASE("two Locals are separate namespaces; copies of a Local share one") {
        IsolatedFlow flow;
        Local a;
        Local b;
        Local a2 = a;
        CHECK(a == a2);
        CHECK_FALSE(a == b);
        a.set("x", 1);
        CHECK(a2.get<int>("x") == 1);
        CHECK_FALSE(b.contains("x"));
    }

    TEST_CASE("release empties the Local in the current context only") {
        IsolatedFlow flow;
        Local local;
        local.set("a", 1);
        ctxvar::Context copy = ctxvar::copy_context();
        local.release();
        CHECK(local.empty());
        CHECK_FALSE(local.contains("a"));
        CHECK(copy.run([&] { return local.get<int>("a"); }) == 1);
    }

    TEST_CASE("release of an empty Local allocates nothing and creates no context") {
        IsolatedFlow flow;
        Local local;
        CHECK(allocations_in([&] { local.release(); }) == 0);
        CHECK_FALSE(flow_has_context());
        local.set("a", 1);
        local.release();
        CHECK(allocations_in([&] { local.release(); }) == 0);
    }

    TEST_CASE("reads never allocate and never create a context") {
        IsolatedFlow flow;
        Local local;
        CHECK(allocations_in([&] {
                  CHECK_FALSE(local.contains("a"));
                  CHECK(local.get_if<int>("a") == nullptr);
                  CHECK(local.size() == 0);
              }) == 0);
        CHECK_FALSE(flow_has_context());
        local.set("a", 1);
        CHECK(allocations_in([&] { CHECK(local.get<int>("a") == 1); }) == 0);
    }

    TEST_CASE("contexts holding equal local values compare equal") {
        IsolatedFlow flow;
        Local local;
        ctxvar::Context a;
        ctxvar::Context b;
        a.run([&] {
            local.set("user", std::string{"ann"});
            local.set("n", 1);
        });
        b.run([&] {
            local.set("n", 1);
            local.set("user", std::string{"ann"});
        });
        CHECK(a == b);
        b.run([&] { local.set("n", 2); });
        CHECK_FALSE(a == b);
        b.run([&] { local.set("n", 1.0); }); // same name, equal number, another type
        CHECK_FALSE(a == b);
    }

    TEST_CASE("a Local shows in a context's iteration as one variable with its name") {
        IsolatedFlow flow;
        Local local{"request_locals"};
        local.set("a", 1);
        local.set("b", 2);
        ctxvar::Context ctx = ctxvar::copy_context();
        REQUIRE(ctx.size() == 1);
        CHECK((*ctx.begin()).name() == "request_locals");
    }

    TEST_CASE("a failed set or erase leaves the Local exactly as it was") {
        IsolatedFlow flow;
        Local local;
        for (int i = 0; i < 40; ++i) {
            local.set("k" + std::to_string(i), i);
        }
        for (const bool shared : {false, true}) {
            // A copy of the context makes every update copy its paths; without one, the
            // context's own trie is updated in place.
            std::optional<ctxvar::Context> copy;
            if (shared) {
                copy = ctxvar::copy_context();
            }
            for (const bool erase : {false, true}) {
                const std::vector<std::string> names = local.names();
                const auto update = [&] {
                    if (erase) {
                        local.erase("k7");
                    } else {
                        local.set("k7", std::string{"a longer value than any short string"});
                    }
                };
                long failures = 0;
                for (long n = 0;; ++n) {
                    bool threw = false;
                    {
                        FailAfter fail(n);
                        try {
                            update();
                        } catch (const std::bad_alloc&) {
                            threw = true;
                        }
                    }
                    if (!threw) {
                        break;
                    }
                    ++failures;
                    CHECK(local.names() == names);
                    CHECK(local.get<int>("k7") == 7);
                    CHECK(local.get<int>("k39") == 39);
                }
                CHECK(failures > 0);
                if (copy) {
                    CHECK(copy->run([&] { return local.get<int>("k7"); }) == 7);
                }
                local.set("k7", 7); // undo the update that succeeded
            }
        }
    }
}
