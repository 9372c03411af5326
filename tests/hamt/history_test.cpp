// Persistence: every map ever made stays as it was while newer maps are derived from it and
// while other maps are destroyed.
#include "test_helpers.hpp"

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

using namespace hamt_test;

namespace {

using Model = std::unordered_map<Key, int, KeyHash, KeyEqual>;

struct Version {
    KeyMap<> map;
    Model model;
};

// Keys 0..79 on 24 hashes: hashes that share low slices, and full collisions.
Key key_of(int id) {
    static constexpr std::uint32_t hashes[] = {
        0x00000001, 0x00000021, 0x00000421, 0x00008421, 0x00108421, 0x02108421,
        0x42108421, 0x82108421, 0xC2108421, 0x00000002, 0x00000022, 0x7FFFFFFF,
        0xFFFFFFFF, 0xBFFFFFFF, 0x3FFFFFFF, 0x0000001F, 0x000003FF, 0x00007FFF,
        0x12345678, 0x12345679, 0x12345658, 0x1234567A, 0x00000000, 0x80000000,
    };
    return Key{id, hashes[static_cast<unsigned>(id) % std::size(hashes)]};
}

} // namespace

TEST_SUITE("hamt") {
    TEST_CASE("every older version stays unchanged after each later operation") {
        std::mt19937 rng(20240601);
        const long long bytes = live_bytes;
        {
            std::vector<Version> versions{Version{}};
            std::vector<std::vector<NodeShape>> shapes{shape(versions[0].map)};
            for (int step = 0; step != 400; ++step) {
                CAPTURE(step);
                // Derive the next version from a random older one, mostly the newest.
                const std::size_t from =
                    rng() % 4 == 0 ? rng() % versions.size() : versions.size() - 1;
                Version next = versions[from];
                const Key k = key_of(static_cast<int>(rng() % 80));
                const int op = static_cast<int>(rng() % 10);
                if (op < 6) {
                    const int v = static_cast<int>(rng() % 3);
                    next.map = next.map.set(k, v);
                    next.model.insert_or_assign(k, v);
                } else {
                    next.map = next.map.erase(k);
                    next.model.erase(k);
                }
                REQUIRE(matches(next.map, next.model));
                shapes.push_back(shape(next.map));
                versions.push_back(std::move(next));
                for (std::size_t i = 0; i != versions.size(); ++i) {
                    CAPTURE(i);
                    REQUIRE(matches(versions[i].map, versions[i].model));
                }
            }
            for (std::size_t i = 0; i != versions.size(); ++i) {
                CAPTURE(i);
                CHECK(shape(versions[i].map) == shapes[i]);
            }
        }
        CHECK(live_bytes == bytes);
    }

    TEST_CASE("versions survive the destruction of the others in any order") {
        std::mt19937 rng(77);
        const long long bytes = live_bytes;
        {
            std::vector<Version> versions{Version{}};
            for (int step = 0; step != 300; ++step) {
                Version next = versions.back();
                const Key k = key_of(static_cast<int>(rng() % 80));
                if (rng() % 3 != 0) {
                    next.map = next.map.set(k, step);
                    next.model.insert_or_assign(k, step);
                } else {
                    next.map = next.map.erase(k);
                    next.model.erase(k);
                }
                versions.push_back(std::move(next));
            }
            while (!versions.empty()) {
                versions.erase(versions.begin() +
                               static_cast<std::ptrdiff_t>(rng() % versions.size()));
                for (std::size_t i = 0; i < versions.size(); i += 7) {
                    REQUIRE(matches(versions[i].map, versions[i].model));
                }
            }
        }
        CHECK(live_bytes == bytes);
    }
}
