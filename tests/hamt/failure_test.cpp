// Exception safety (allocation, hash, equality and value copies failing at every possible
// point leave the map as it was and leak nothing) and concurrent readers of shared nodes.
#include "test_helpers.hpp"

#include <atomic>
#include <functional>
#include <new>
#include <thread>
#include <unordered_map>
#include <vector>

using namespace hamt_test;

namespace {

using FMap = KeyMap<Val>;
using FModel = std::unordered_map<Key, Val, KeyHash, KeyEqual>;

constexpr std::uint32_t deep = 0x12345678;            // a full hash shared by several keys
constexpr std::uint32_t near = deep ^ (1u << 17);     // shares slices 0-2 with `deep`
constexpr std::uint32_t far_hash = deep ^ (1u << 30); // shares slices 0-5 with `deep`

struct Scenario {
    const char* name;
    std::vector<std::pair<Key, int>> base;
    bool erase; // else set
    Key key;
    int value;
    bool compares; // whether the operation must call Equal
};

const std::vector<Scenario>& scenarios() {
    static const std::vector<Scenario> all = {
        {"insert into empty", {}, false, {1, 1}, 1, false},
        {"insert new", {{{1, 1}, 1}, {{2, 2}, 2}, {{3, 35}, 3}}, false, {4, 4}, 4, false},
        {"insert pushing an entry down", {{{1, 0x21}, 1}, {{2, 2}, 2}}, false, {3, 0x41}, 3, true},
        {"insert merging down to a collision node",
         {{{1, deep}, 1}, {{2, 2}, 2}},
         false,
         {3, deep},
         3,
         true},
        {"insert at depth 6", {{{1, deep}, 1}, {{2, deep}, 2}}, false, {3, far_hash}, 3, false},
        {"assign", {{{1, 0x21}, 1}, {{2, 0x41}, 2}, {{3, 3}, 3}}, false, {2, 0x41}, 20, true},
        {"insert into a collision node",
         {{{1, deep}, 1}, {{2, deep}, 2}, {{3, near}, 3}},
         false,
         {4, deep},
         4,
         true},
        {"assign in a collision node",
         {{{1, deep}, 1}, {{2, deep}, 2}, {{3, deep}, 3}},
         false,
         {2, deep},
         20,
         true},
        {"erase with collapse",
         {{{1, deep}, 1}, {{2, deep}, 2}, {{3, near}, 3}},
         true,
         {1, deep},
         0,
         true},
        {"erase from a collision node",
         {{{1, deep}, 1}, {{2, deep}, 2}, {{3, deep}, 3}},
         true,
         {3, deep},
         0,
         true},
        {"erase from a sub-node",
         {{{1, 0x21}, 1}, {{2, 0x41}, 2}, {{3, 0x61}, 3}},
         true,
         {2, 0x41},
         0,
         true},
    };
    return all;
}

FMap build_base(const Scenario& s) {
    FMap m;
    for (const auto& [k, v] : s.base) {
        m = m.set(k, Val(v));
    }
    return m;
}

FMap apply(const Scenario& s, const FMap& m) {
    return s.erase ? m.erase(s.key) : m.set(s.key, Val(s.value));
}

// Runs the scenario with `countdown` firing at the 1st, 2nd, ... call until the operation
// succeeds. Checks after each failure that the map is unchanged and nothing leaked, and the
// final result. Returns the number of failed attempts.
template <class Exception>
int run_with_failures(const Scenario& s, Countdown& countdown) {
    const FMap base = build_base(s);
    const FMap alias = base;
    const std::vector<NodeShape> base_shape = shape(base);
    const FModel base_model = to_std(base);
    FModel expected = base_model;
    if (s.erase) {
        expected.erase(s.key);
    } else {
        expected.erase(s.key); // Val cannot be assigned
        expected.emplace(s.key, Val(s.value));
    }
    for (long n = 1;; ++n) {
        CAPTURE(n);
        const long long bytes = live_bytes;
        const long vals = live_vals;
        countdown.arm(n);
        try {
            const FMap result = apply(s, base);
            countdown.disarm();
            CHECK(matches(result, expected));
            CHECK(matches(base, base_model));
            return static_cast<int>(n - 1);
        } catch (const Exception&) {
            countdown.disarm();
        }
        CHECK(live_bytes == bytes);
        CHECK(live_vals == vals);
        CHECK(base.identical(alias));
        CHECK(shape(base) == base_shape);
        CHECK(matches(base, base_model));
        REQUIRE(n < 100);
    }
}

} // namespace

TEST_SUITE("hamt") {
    TEST_CASE("a failed allocation leaves the map unchanged and leaks nothing") {
        for (const Scenario& s : scenarios()) {
            CAPTURE(s.name);
            const long long bytes = live_bytes;
            CHECK(run_with_failures<std::bad_alloc>(s, alloc_countdown) >= 1);
            CHECK(live_bytes == bytes);
        }
    }

    TEST_CASE("a throwing hash leaves the map unchanged and leaks nothing") {
        for (const Scenario& s : scenarios()) {
            CAPTURE(s.name);
            const long long bytes = live_bytes;
            CHECK(run_with_failures<HashError>(s, hash_countdown) >= 1);
            CHECK(live_bytes == bytes);
        }
    }

    TEST_CASE("a throwing equality leaves the map unchanged and leaks nothing") {
        for (const Scenario& s : scenarios()) {
            CAPTURE(s.name);
            const long long bytes = live_bytes;
            const int failures = run_with_failures<EqualError>(s, equal_countdown);
            CHECK((failures >= 1) == s.compares);
            CHECK(live_bytes == bytes);
        }
    }

    TEST_CASE("a throwing value copy leaves the map unchanged and leaks nothing") {
        for (const Scenario& s : scenarios()) {
            CAPTURE(s.name);
            const long long bytes = live_bytes;
            const long vals = live_vals;
            CHECK(run_with_failures<CopyError>(s, copy_countdown) >= 1);
            CHECK(live_bytes == bytes);
            CHECK(live_vals == vals);
        }
    }

    TEST_CASE("threads read one shared map while another derives new versions from it") {
        using M = IntMap<SpreadHash>;
        const long long bytes = live_bytes;
        {
            M shared;
            for (int k = 0; k != 600; ++k) { // about 5 keys per full hash
                shared = shared.set(k, k * 2);
            }
            std::atomic<int> bad{0};
            std::atomic<bool> go{false};
            std::vector<std::thread> threads;
            for (int t = 0; t != 4; ++t) {
                threads.emplace_back([&] {
                    while (!go) {
                    }
                    for (int round = 0; round != 40; ++round) {
                        const M copy = shared; // retains the shared root concurrently
                        long long sum = 0;
                        for (const auto& [k, v] : copy) {
                            sum += v;
                        }
                        bad += sum != 599LL * 600;
                        for (int k = 0; k != 600; k += 3) {
                            const int* v = shared.find(k);
                            bad += v == nullptr || *v != k * 2;
                        }
                    }
                });
            }
            threads.emplace_back([&] {
                while (!go) {
                }
                std::vector<M> versions;
                for (int round = 0; round != 40; ++round) {
                    M v = shared.set(round, -round).erase(round + 1).set(1000 + round, 1);
                    bad += v.size() != 600 || v.at(round) != -round || v.contains(round + 1);
                    versions.push_back(v);
                    if (round % 8 == 7) {
                        versions.clear(); // frees the new nodes, releases the shared ones
                    }
                }
            });
            go = true;
            for (std::thread& t : threads) {
                t.join();
            }
            CHECK(bad == 0);
            CHECK(shared.size() == 600);
            CHECK(shared.at(1) == 2);
        }
        CHECK(live_bytes == bytes);
    }
}
