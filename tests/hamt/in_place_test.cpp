// The rvalue updates (`std::move(m).set(k, v)`, `std::move(m).erase(k)`): against a model with
// snapshots, canonical layout, freeing every node, and threads. What they allocate, copies that
// share nodes and the fallback: in_place_sharing_test.cpp; failures: in_place_failure_test.cpp.
#include "test_helpers.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <numeric>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

using namespace hamt_test;

namespace {

// Random rvalue and const updates of one live map, with snapshots (copies sharing its nodes)
// taken, dropped and checked along the way. Every snapshot is checked when dropped or at the end.
template <class Hash>
void run_model(std::uint64_t seed, int ops, int key_range) {
    using M = IntMap<Hash>;
    using Model = std::unordered_map<int, int, Hash>;
    struct Snapshot {
        M map;
        Model model;
    };
    std::mt19937_64 rng(seed);
    const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    const long long bytes = live_bytes;
    {
        M map;
        Model model;
        std::vector<Snapshot> snapshots;
        for (int step = 0; step != ops; ++step) {
            const int k = pick(key_range);
            const auto it = model.find(k);
            const int op = pick(100);
            const int v = op % 10 == 0 && it != model.end() ? it->second : pick(1000);
            if (op < 45 || (op >= 70 && op < 80)) {
                M next = op < 45 ? std::move(map).set(k, v) : map.set(k, v);
                if (op < 45 && !map.empty()) {
                    FAIL("rvalue set left the moved-from map non-empty, step ", step);
                }
                map = std::move(next);
                model.insert_or_assign(k, v);
            } else if (op < 88) {
                M next = op < 70 ? std::move(map).erase(k) : map.erase(k);
                if (op < 70 && !map.empty()) {
                    FAIL("rvalue erase left the moved-from map non-empty, step ", step);
                }
                map = std::move(next);
                model.erase(k);
            } else if (op < 99) {
                const int* found = map.find(k);
                if (it == model.end() ? found != nullptr
                                      : found == nullptr || *found != it->second) {
                    FAIL("find disagrees with the model, step ", step, " key ", k);
                }
            } else if (snapshots.size() < 40) {
                snapshots.push_back({map, model});
            } else { // check one snapshot and drop it: its nodes may become unshared again
                const std::size_t i = static_cast<std::size_t>(pick(40));
                REQUIRE_MESSAGE(matches(snapshots[i].map, snapshots[i].model), "step ", step);
                std::swap(snapshots[i], snapshots.back());
                snapshots.pop_back();
            }
            if (map.size() != model.size()) {
                FAIL("size ", map.size(), " but the model has ", model.size(), ", step ", step);
            }
            if (step % 2048 == 0) {
                REQUIRE_MESSAGE(matches(map, model), "step ", step);
                REQUIRE_MESSAGE(shape(map) == shape(rebuilt<M>(model)), "step ", step);
            }
        }
        snapshots.push_back({map, model});
        for (std::size_t i = 0; i != snapshots.size(); ++i) {
            CAPTURE(i);
            REQUIRE(matches(snapshots[i].map, snapshots[i].model));
        }
    }
    CHECK(live_bytes == bytes);
}

// Inserts keys [0, n) in random order, updates at random, then erases all, every update an
// rvalue one; after each, the shape must be that of the same contents built from scratch.
template <class Hash>
void check_canonical(std::uint64_t seed, int n) {
    using M = IntMap<Hash>;
    std::unordered_map<int, int, Hash> model;
    std::mt19937_64 rng(seed);
    std::vector<int> keys(static_cast<std::size_t>(n));
    std::iota(keys.begin(), keys.end(), 0);
    M map;
    const auto check = [&](int step) {
        REQUIRE_MESSAGE(matches(map, model), "step ", step);
        REQUIRE_MESSAGE(shape(map) == shape(rebuilt<M>(model)), "step ", step);
    };
    std::shuffle(keys.begin(), keys.end(), rng);
    for (int k : keys) {
        map = std::move(map).set(k, k);
        model[k] = k;
        check(k);
    }
    for (int step = 0; step != 2 * n; ++step) {
        const int k = keys[rng() % keys.size()];
        if (rng() % 2 == 0) {
            map = std::move(map).erase(k);
            model.erase(k);
        } else {
            map = std::move(map).set(k, step);
            model[k] = step;
        }
        check(step);
    }
    std::shuffle(keys.begin(), keys.end(), rng);
    for (int k : keys) {
        map = std::move(map).erase(k);
        model.erase(k);
        check(k);
    }
    CHECK(map.empty());
}

} // namespace

TEST_SUITE("hamt") {
    TEST_CASE("random rvalue and const updates agree with the model and never change a snapshot") {
        const std::uint64_t seed = test_seed(0x1A9ACE);
        INFO("seed: ", seed, " (rerun with CTXVAR_SEED=", seed, ")");
        run_model<std::hash<int>>(seed, 40000, 300);
        run_model<Mod7Hash>(seed + 1, 30000, 100);
        run_model<Shift25Hash>(seed + 2, 30000, 500);
    }

    TEST_CASE("rvalue updates leave the layout of a map built from scratch") {
        const std::uint64_t seed = test_seed(0x1A9ACE);
        CAPTURE(seed);
        check_canonical<SpreadHash>(seed, 128);  // deep chains that collapse
        check_canonical<Shift25Hash>(seed, 200); // keys 128 apart share a full hash
        check_canonical<Mod7Hash>(seed, 40);     // collision nodes back to entries
        check_canonical<std::hash<int>>(seed, 100);
    }

    TEST_CASE("rvalue erase of every key frees every node; of a missing key it changes nothing") {
        const long long bytes = live_bytes;
        const auto run = [&](auto map, int n, std::initializer_list<int> missing) {
            for (int k = 0; k != n; ++k) {
                map = std::move(map).set(k, k);
            }
            const auto model = to_std(map);
            const auto before = shape(map);
            const long long allocs = allocations;
            for (int k : missing) {
                CAPTURE(k);
                map = std::move(map).erase(k);
                CHECK(allocations == allocs);
                CHECK((matches(map, model) && shape(map) == before));
            }
            std::vector<int> keys(static_cast<std::size_t>(n));
            std::iota(keys.begin(), keys.end(), 0);
            std::shuffle(keys.begin(), keys.end(), std::mt19937(7));
            for (int k : keys) {
                map = std::move(map).erase(k);
                REQUIRE_FALSE(map.contains(k));
            }
            CHECK(map.empty());
            CHECK(live_bytes == bytes); // the map is still alive, and empty
            const long long empty_allocs = allocations;
            map = std::move(map).erase(0);
            CHECK((map.empty() && allocations == empty_allocs && live_bytes == bytes));
        };
        run(IntMap<SpreadHash>(), 128, {128, 200, 1000}); // 200 lands on 72's full hash
        run(IntMap<Mod7Hash>(), 50, {50, 700});           // in a collision node
        run(IntMap<std::hash<int>>(), 300, {300, 332, 1 << 20});
    }

    TEST_CASE("threads updating their own copies of a shared map in place do not disturb others") {
        using M = IntMap<std::hash<int>>;
        const long long bytes = live_bytes;
        {
            M shared;
            for (int k = 0; k != 500; ++k) {
                shared = std::move(shared).set(k, k);
            }
            std::vector<std::thread> threads;
            std::vector<int> bad(4, 0);
            for (int t = 0; t != 4; ++t) {
                threads.emplace_back([&, t] {
                    for (int round = 0; round != 20; ++round) {
                        M mine = shared;
                        for (int k = t; k < 500; k += 4) {
                            mine = std::move(mine).set(k, -k);
                            mine = std::move(mine).erase(k + 1);
                        }
                        for (int k = t; k < 500; k += 4) {
                            const int* v = mine.find(k);
                            bad[t] += v == nullptr || *v != -k || mine.contains(k + 1);
                            bad[t] += shared.at(k) != k;
                        }
                    }
                });
            }
            for (std::thread& th : threads) {
                th.join();
            }
            CHECK(bad == std::vector<int>(4, 0));
            for (int k = 0; k != 500; ++k) {
                REQUIRE(shared.at(k) == k);
            }
        }
        CHECK(live_bytes == bytes);
    }
}
