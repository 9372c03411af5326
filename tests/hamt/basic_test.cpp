// Basic behaviour of hamt::Map: lookups, set (insert and assign), erase, sharing of copies
// and persistence of older maps.
#include "test_helpers.hpp"

#include <stdexcept>
#include <string>
#include <utility>

using namespace hamt_test;

namespace {

// A value type without ==: the map cannot tell that a value is unchanged.
struct NoEq {
    int x;
};

} // namespace

TEST_SUITE("hamt") {
    TEST_CASE("an empty map has size zero, finds nothing and iterates nothing") {
        const long long before = allocations;
        const KeyMap<> m;
        CHECK(m.size() == 0);
        CHECK(m.empty());
        CHECK(m.find(Key{1, 1}) == nullptr);
        CHECK_FALSE(m.contains(Key{1, 1}));
        CHECK(m.begin() == m.end());
        CHECK(shape(m).empty());
        CHECK(m.erase(Key{1, 1}).identical(m));
        CHECK(allocations == before);
    }

    TEST_CASE("set inserts keys that find, contains and at then see") {
        KeyMap<> m;
        for (int i = 0; i != 100; ++i) {
            m = m.set(Key{i, static_cast<std::uint32_t>(i * 2654435761u)}, i * 10);
            REQUIRE(m.size() == static_cast<std::size_t>(i + 1));
        }
        CHECK_FALSE(m.empty());
        for (int i = 0; i != 100; ++i) {
            const Key k{i, static_cast<std::uint32_t>(i * 2654435761u)};
            REQUIRE(m.find(k) != nullptr);
            CHECK(*m.find(k) == i * 10);
            CHECK(m.contains(k));
            CHECK(m.at(k) == i * 10);
        }
        CHECK(m.find(Key{100, 100u * 2654435761u}) == nullptr);
    }

    TEST_CASE("at throws std::out_of_range for a missing key") {
        const KeyMap<> m = KeyMap<>().set(Key{1, 7}, 1).set(Key{2, 39}, 2);
        CHECK_THROWS_AS((void)m.at(Key{3, 7}), std::out_of_range); // same slice as key 1
        CHECK_THROWS_AS((void)m.at(Key{4, 8}), std::out_of_range); // empty slice
        CHECK_THROWS_AS((void)KeyMap<>().at(Key{1, 7}), std::out_of_range);
        CHECK(m.at(Key{1, 7}) == 1);
    }

    TEST_CASE("setting an existing key to a different value assigns it") {
        const KeyMap<> a = KeyMap<>().set(Key{1, 5}, 1).set(Key{2, 6}, 2);
        const KeyMap<> b = a.set(Key{1, 5}, 100);
        CHECK(b.size() == 2);
        CHECK(b.at(Key{1, 5}) == 100);
        CHECK(b.at(Key{2, 6}) == 2);
        CHECK(a.at(Key{1, 5}) == 1);
        CHECK_FALSE(b.identical(a));
        CHECK(shape(b) == shape(a));
    }

    TEST_CASE("assigning a key an equal value returns the identical root without allocating") {
        // An inline entry at the root, one at depth 1, and one in a collision node.
        const KeyMap<> m = KeyMap<>()
                               .set(Key{1, 1}, 10)
                               .set(Key{2, 2}, 20)
                               .set(Key{3, 34}, 30)
                               .set(Key{4, 0xABCDEF0F}, 40)
                               .set(Key{5, 0xABCDEF0F}, 50);
        for (const auto& [k, v] : to_std(m)) {
            const long long before = allocations;
            const KeyMap<> same = m.set(k, v);
            CHECK(same.identical(m));
            CHECK(same.size() == m.size());
            CHECK(allocations == before);
        }
    }

    TEST_CASE("erasing a key removes only that key") {
        KeyMap<> m;
        for (int i = 0; i != 50; ++i) {
            m = m.set(Key{i, static_cast<std::uint32_t>(i % 40)}, i);
        }
        const KeyMap<> e = m.erase(Key{7, 7});
        CHECK(e.size() == 49);
        CHECK_FALSE(e.contains(Key{7, 7}));
        CHECK(e.contains(Key{47, 7})); // the key that shared 7's full hash stays
        for (int i = 0; i != 50; ++i) {
            if (i != 7) {
                CHECK(e.at(Key{i, static_cast<std::uint32_t>(i % 40)}) == i);
            }
        }
        CHECK(m.size() == 50);
        CHECK(m.contains(Key{7, 7}));
    }

    TEST_CASE("erasing a missing key returns the identical root") {
        // Root slices 1 and 2 hold entries, slice 3 a sub-node, and 0xABCDEF0F a collision.
        const KeyMap<> m = KeyMap<>()
                               .set(Key{1, 1}, 1)
                               .set(Key{2, 2}, 2)
                               .set(Key{3, 3}, 3)
                               .set(Key{4, 35}, 4)
                               .set(Key{5, 0xABCDEF0F}, 5)
                               .set(Key{6, 0xABCDEF0F}, 6);
        const long long before = allocations;
        const Key missing[] = {
            {9, 4},          // empty slice at the root
            {9, 1},          // slice with an entry for another key, same hash
            {9, 33},         // slice with an entry, different hash
            {9, 67},         // slice with a sub-node, empty slice below
            {9, 0xABCDEF0F}, // the collision node's hash
            {9, 0xABCDEF4F}, // diverges from the collision chain at depth 1
        };
        for (const Key& k : missing) {
            CAPTURE(k.hash);
            CHECK(m.erase(k).identical(m));
            CHECK(m.erase(k).size() == m.size());
        }
        CHECK(allocations == before);
    }

    TEST_CASE("copies share the root and cost no allocation") {
        const KeyMap<> m = KeyMap<>().set(Key{1, 1}, 1).set(Key{2, 33}, 2);
        const long long before = allocations;
        const long long bytes = live_bytes;
        KeyMap<> copy(m);
        KeyMap<> assigned;
        assigned = m;
        KeyMap<> moved(std::move(copy));
        CHECK(assigned.identical(m));
        CHECK(moved.identical(m));
        CHECK(moved.size() == 2);
        CHECK(moved == m);
        CHECK(allocations == before);
        CHECK(live_bytes == bytes);
    }

    TEST_CASE("older maps are unchanged after set and erase on a newer map") {
        const KeyMap<> v0;
        const KeyMap<> v1 = v0.set(Key{1, 1}, 1);
        const KeyMap<> v2 = v1.set(Key{2, 33}, 2); // pushes key 1 down
        const KeyMap<> v3 = v2.set(Key{1, 1}, 11);
        const KeyMap<> v4 = v3.erase(Key{2, 33}); // key 1 moves back up
        const std::vector<NodeShape> s1 = shape(v1);
        CHECK(v0.empty());
        CHECK(matches(v1, to_std(KeyMap<>().set(Key{1, 1}, 1))));
        CHECK(v2.at(Key{1, 1}) == 1);
        CHECK(v2.at(Key{2, 33}) == 2);
        CHECK(v3.at(Key{1, 1}) == 11);
        CHECK(v3.size() == 2);
        CHECK(v4.size() == 1);
        CHECK(v4.at(Key{1, 1}) == 11);
        CHECK(std::get<2>(shape(v4)[0]) == 0); // no sub-node left
        CHECK(shape(v1) == s1);
    }

    TEST_CASE("erasing every key frees every node") {
        const long long bytes = live_bytes;
        {
            KeyMap<> m;
            for (int i = 0; i != 300; ++i) {
                m = m.set(Key{i, static_cast<std::uint32_t>(i % 97)}, i);
            }
            CHECK(live_bytes > bytes);
            for (int i = 0; i != 300; ++i) {
                m = m.erase(Key{i, static_cast<std::uint32_t>(i % 97)});
            }
            CHECK(m.empty());
            CHECK(shape(m).empty());
            CHECK(live_bytes == bytes);
        }
        CHECK(live_bytes == bytes);
    }

    TEST_CASE("values only need to be copyable, and need no equality") {
        const hamt::Map<int, NoEq> a = hamt::Map<int, NoEq>().set(1, NoEq{5});
        const hamt::Map<int, NoEq> b = a.set(1, NoEq{5});
        CHECK_FALSE(b.identical(a)); // without ==, an equal value still replaces
        CHECK(b.size() == 1);
        CHECK(b.at(1).x == 5);
        CHECK(a.set(1, NoEq{6}).at(1).x == 6);
    }

    TEST_CASE("the default hash, equality and allocator work with string keys") {
        hamt::Map<std::string, int> m;
        for (int i = 0; i != 2000; ++i) {
            m = m.set("key" + std::to_string(i), i);
        }
        CHECK(m.size() == 2000);
        CHECK(m.at("key1234") == 1234);
        CHECK_FALSE(m.contains("key2000"));
        CHECK(m.erase("key5").size() == 1999);
    }
}
