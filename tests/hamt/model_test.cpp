// A model-based random test: long random sequences of operations on a Map and on a
// std::unordered_map side by side, with snapshots of both checked at the end.
// The seed is fixed unless the environment variable CTXVAR_SEED sets it.
#include "test_helpers.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

using namespace hamt_test;

namespace {

// Runs `ops` random operations on keys [0, key_range) hashed by Hash, then checks every
// snapshot taken along the way.
template <class Hash>
void run_model(std::uint64_t seed, int ops, int key_range) {
    using M = IntMap<Hash>;
    using Model = std::unordered_map<int, int, Hash>; // the type to_std returns
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
            if (op < 35) { // insert or assign a fresh value
                const int v = pick(1000);
                map = map.set(k, v);
                model.insert_or_assign(k, v);
            } else if (op < 45) { // assign the value already there (or insert)
                const int v = it != model.end() ? it->second : 0;
                const M next = map.set(k, v);
                if (it != model.end() && !next.identical(map)) {
                    FAIL("assigning an equal value made a new root, step ", step);
                }
                map = next;
                model.insert_or_assign(k, v);
            } else if (op < 75) { // erase, present or not
                const M next = map.erase(k);
                if (it == model.end() && !next.identical(map)) {
                    FAIL("erasing a missing key made a new root, step ", step);
                }
                map = next;
                model.erase(k);
            } else if (op < 98) { // find
                const int* found = map.find(k);
                const bool ok =
                    it == model.end() ? found == nullptr : found != nullptr && *found == it->second;
                if (!ok || map.contains(k) != (it != model.end())) {
                    FAIL("find disagrees with the model, step ", step, " key ", k);
                }
            } else if (pick(10) == 0) { // about one snapshot in 500 operations
                snapshots.push_back({map, model});
            }
            if (map.size() != model.size()) {
                FAIL("size ", map.size(), " but the model has ", model.size(), ", step ", step);
            }
        }
        snapshots.push_back({map, model});

        for (std::size_t i = 0; i != snapshots.size(); ++i) {
            CAPTURE(i);
            const Snapshot& s = snapshots[i];
            REQUIRE(s.map.size() == s.model.size());
            REQUIRE(matches(s.map, s.model));
            REQUIRE(to_std(s.map) == s.model);
            std::vector<int> keys;
            for (const auto& [k, v] : s.model) {
                keys.push_back(k);
            }
            std::shuffle(keys.begin(), keys.end(), rng);
            const M rebuilt = build<M>(keys, s.model);
            REQUIRE(rebuilt == s.map);
            REQUIRE(shape(rebuilt) == shape(s.map));
        }
    }
    CHECK(live_bytes == bytes);
}

} // namespace

TEST_SUITE("hamt") {
    TEST_CASE("random operations agree with std::unordered_map") {
        const std::uint64_t seed = test_seed(0x5EED2024);
        INFO("seed: ", seed, " (rerun with CTXVAR_SEED=", seed, ")");
        SUBCASE("small key range, ordinary hash") {
            run_model<std::hash<int>>(seed, 30000, 300);
        }
        SUBCASE("large key range, ordinary hash") {
            run_model<IdHash>(seed + 1, 20000, 5000);
        }
        SUBCASE("seven hashes for all keys") {
            run_model<Mod7Hash>(seed + 2, 20000, 120);
        }
        SUBCASE("hashes that collide in the low slices") {
            run_model<Shift25Hash>(seed + 3, 20000, 600);
        }
        SUBCASE("binary branching at every level") {
            run_model<SpreadHash>(seed + 4, 20000, 400);
        }
    }
}
