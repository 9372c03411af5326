// Iteration (each entry exactly once, forward-iterator behaviour) and map equality
// (independent of insertion order, sensitive to every key and value).
#include "test_helpers.hpp"

#include <algorithm>
#include <iterator>
#include <memory>
#include <random>
#include <type_traits>
#include <unordered_map>
#include <vector>

using namespace hamt_test;

namespace {

template <class Hash>
void check_iteration_of(int n) {
    CAPTURE(n);
    IntMap<Hash> m;
    std::unordered_map<int, int> expected;
    for (int i = 0; i != n; ++i) {
        m = m.set(i * 3, -i);
        expected.emplace(i * 3, -i);
    }
    CHECK(static_cast<std::size_t>(std::distance(m.begin(), m.end())) == m.size());
    const auto seen = to_std(m); // fails on a key seen twice
    CHECK(seen.size() == expected.size());
    for (const auto& [k, v] : expected) {
        const auto it = seen.find(k);
        REQUIRE(it != seen.end());
        CHECK(it->second == v);
    }
}

} // namespace

TEST_SUITE("hamt") {
    TEST_CASE("iteration visits each entry exactly once") {
        for (const int n : {0, 1, 31, 32, 33, 1000, 10000}) {
            check_iteration_of<std::hash<int>>(n);
            check_iteration_of<IdHash>(n); // keys 3 apart: dense root, deep sub-nodes
        }
        for (const int n : {2, 7, 8, 100, 1000}) {
            check_iteration_of<Mod7Hash>(n);    // collision nodes only
            check_iteration_of<Shift25Hash>(n); // chains, then collisions
            check_iteration_of<SpreadHash>(n);  // every node kind at every depth
        }
    }

    TEST_CASE("maps built in different insertion orders are equal and have the same shape") {
        std::vector<int> keys(600);
        for (int i = 0; i != 600; ++i) {
            keys[static_cast<std::size_t>(i)] = i;
        }
        std::unordered_map<int, int> model;
        for (const int k : keys) {
            model.emplace(k, k * 7);
        }
        std::mt19937 rng(3);
        const auto a = build<IntMap<SpreadHash>>(keys, model);
        const auto c = build<IntMap<Mod7Hash>>(keys, model);
        for (int round = 0; round != 5; ++round) {
            std::shuffle(keys.begin(), keys.end(), rng);
            const auto b = build<IntMap<SpreadHash>>(keys, model);
            CHECK_FALSE(b.identical(a));
            CHECK(a == b);
            CHECK(b == a);
            CHECK(shape(a) == shape(b)); // collision nodes differ only in entry order
            const auto d = build<IntMap<Mod7Hash>>(keys, model);
            CHECK(c == d);
            CHECK(shape(c) == shape(d));
        }
    }

    TEST_CASE("maps that differ in one value are unequal") {
        std::vector<int> keys(200);
        std::unordered_map<int, int> model;
        for (int i = 0; i != 200; ++i) {
            keys[static_cast<std::size_t>(i)] = i;
            model.emplace(i, i);
        }
        const auto spread = build<IntMap<SpreadHash>>(keys, model);
        const auto mod7 = build<IntMap<Mod7Hash>>(keys, model);
        for (const int k : {0, 1, 64, 127, 128, 199}) { // inline entries and collisions
            CAPTURE(k);
            const auto s = spread.set(k, -1);
            CHECK_FALSE(s == spread);
            CHECK_FALSE(spread == s);
            CHECK(s.size() == spread.size());
            const auto m = mod7.set(k, -1);
            CHECK_FALSE(m == mod7);
            CHECK_FALSE(mod7 == m);
        }
    }

    TEST_CASE("maps of different sizes are unequal") {
        const KeyMap<> a = KeyMap<>().set(Key{1, 1}, 1).set(Key{2, 2}, 2);
        const KeyMap<> b = a.set(Key{3, 3}, 3);
        CHECK_FALSE(a == b);
        CHECK_FALSE(b == a);
        CHECK_FALSE(a == KeyMap<>());
        CHECK_FALSE(KeyMap<>() == a);
        CHECK(b.erase(Key{3, 3}) == a);
    }

    TEST_CASE("maps with different keys of equal size are unequal") {
        // Same hashes, so the same shape: only the keys tell the maps apart.
        const KeyMap<> inline_a = KeyMap<>().set(Key{1, 5}, 0).set(Key{2, 9}, 0);
        const KeyMap<> inline_b = KeyMap<>().set(Key{3, 5}, 0).set(Key{2, 9}, 0);
        REQUIRE(shape(inline_a) == shape(inline_b));
        CHECK_FALSE(inline_a == inline_b);
        const KeyMap<> coll_a = KeyMap<>().set(Key{1, 5}, 0).set(Key{2, 5}, 0);
        const KeyMap<> coll_b = KeyMap<>().set(Key{1, 5}, 0).set(Key{3, 5}, 0);
        REQUIRE(shape(coll_a) == shape(coll_b));
        CHECK_FALSE(coll_a == coll_b);
        CHECK_FALSE(coll_b == coll_a);
        // Different hashes.
        CHECK_FALSE(KeyMap<>().set(Key{1, 5}, 0) == KeyMap<>().set(Key{2, 6}, 0));
    }

    TEST_CASE("empty maps are equal") {
        const KeyMap<> a;
        const KeyMap<> b;
        CHECK(a == b);
        CHECK(a == a);
        CHECK(KeyMap<>().set(Key{1, 1}, 1).erase(Key{1, 1}) == a);
    }

    TEST_CASE("the iterator is a forward iterator") {
        using It = IntMap<IdHash>::const_iterator;
        static_assert(std::forward_iterator<It>);
        static_assert(std::is_same_v<std::iter_value_t<It>, std::pair<int, int>>);

        IntMap<IdHash> m;
        for (int i = 0; i != 100; ++i) {
            m = m.set(i * 33, i);
        }
        CHECK(It() == m.end());
        It it = m.begin();
        const It first = it;
        const It old = it++; // post-increment returns the old position
        CHECK(old == first);
        CHECK(old != it);
        CHECK(old->first == first->first);
        CHECK(&*old == &*m.begin());
        CHECK(++It(first) == it);

        // Multi-pass: a copy walks the same sequence independently.
        std::vector<const std::pair<int, int>*> pass1, pass2;
        for (It p = m.begin(); p != m.end(); ++p) {
            pass1.push_back(&*p);
        }
        It q = m.begin();
        const It saved = q;
        for (; q != m.end(); q++) {
            pass2.push_back(&*q);
        }
        CHECK(pass1 == pass2);
        CHECK(saved == m.begin());
        CHECK(pass1.size() == 100);
    }

    TEST_CASE("iterators stay valid while a map sharing the root lives") {
        auto m = std::make_unique<KeyMap<>>(KeyMap<>().set(Key{1, 1}, 10).set(Key{2, 33}, 20));
        const KeyMap<> keep = *m;
        const auto it = m->begin();
        m.reset();
        CHECK(std::distance(it, keep.end()) == 2);
    }
}
