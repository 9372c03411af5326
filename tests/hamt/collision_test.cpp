// Keys whose hashes collide, partly or fully: collision nodes, the deepest paths, and the
// transitions between an inline entry, a sub-node and a collision node, both ways.
#include "test_helpers.hpp"

#include <algorithm>
#include <vector>

using namespace hamt_test;

namespace {

constexpr std::uint32_t bit(std::uint32_t hash, unsigned depth) {
    return std::uint32_t{1} << hamt::slice(hash, depth);
}

// The layout of a chain of single-child inner nodes over depths [from, to) along `hash`.
void add_chain(std::vector<NodeLayout>& out, std::uint32_t hash, unsigned from, unsigned to) {
    for (unsigned d = from; d != to; ++d) {
        out.emplace_back(d, 0, bit(hash, d), 0);
    }
}

// The layout of `n` keys sharing the full hash `hash`: a chain down to one collision node.
std::vector<NodeLayout> collision_layout(std::uint32_t hash, unsigned n) {
    std::vector<NodeLayout> out;
    add_chain(out, hash, 0, hamt::max_depth);
    out.emplace_back(hamt::max_depth, 0, 0, n);
    return out;
}

} // namespace

TEST_SUITE("hamt") {
    TEST_CASE("many keys with one full hash live in one collision node at depth 7") {
        constexpr std::uint32_t h = 0x9E3779B9;
        constexpr int n = 40;
        KeyMap<> m;
        for (int i = 0; i != n; ++i) {
            m = m.set(Key{i, h}, i);
        }
        REQUIRE(m.size() == n);
        CHECK(layout(m) == collision_layout(h, n));
        for (int i = 0; i != n; ++i) {
            CHECK(m.at(Key{i, h}) == i);
        }
        CHECK_FALSE(m.contains(Key{n, h}));

        m = m.set(Key{20, h}, 2000);
        CHECK(m.size() == n);
        CHECK(m.at(Key{20, h}) == 2000);
        CHECK(layout(m) == collision_layout(h, n));

        for (int i = 0; i != n; ++i) {
            m = m.erase(Key{i, h});
            REQUIRE(m.size() == static_cast<std::size_t>(n - 1 - i));
            CHECK_FALSE(m.contains(Key{i, h}));
            for (int j = i + 1; j != n; ++j) {
                CHECK(m.at(Key{j, h}) == (j == 20 ? 2000 : j));
            }
            if (n - 1 - i >= 2) {
                CHECK(layout(m) == collision_layout(h, static_cast<unsigned>(n - 1 - i)));
            }
            if (n - 1 - i == 1) { // the survivor moves all the way up to the root
                CHECK(layout(m) == std::vector<NodeLayout>{{0, bit(h, 0), 0, 1}});
            }
        }
        CHECK(m.empty());
        CHECK(shape(m).empty());
    }

    TEST_CASE("keys that differ only in hash bits 30 and 31 split at depth 6") {
        constexpr std::uint32_t base = 0x2BCDEF12;
        KeyMap<> m;
        for (std::uint32_t i = 0; i != 4; ++i) {
            m = m.set(Key{static_cast<int>(i), base | (i << 30)}, static_cast<int>(i));
        }
        std::vector<NodeLayout> expected;
        add_chain(expected, base, 0, 6);
        expected.emplace_back(6, 0b1111, 0, 4);
        CHECK(layout(m) == expected);
        for (std::uint32_t i = 0; i != 4; ++i) {
            CHECK(m.at(Key{static_cast<int>(i), base | (i << 30)}) == static_cast<int>(i));
            CHECK_FALSE(m.contains(Key{9, base | (i << 30)}));
        }
    }

    TEST_CASE("the deepest path holds an entry beside a collision node at depth 6") {
        constexpr std::uint32_t h = 0x2BCDEF12;         // slice 6 is 0
        constexpr std::uint32_t other = h | (1u << 31); // slice 6 is 2
        const KeyMap<> m = KeyMap<>().set(Key{1, h}, 1).set(Key{2, other}, 2).set(Key{3, h}, 3);
        std::vector<NodeLayout> expected;
        add_chain(expected, h, 0, 6);
        expected.emplace_back(6, bit(other, 6), bit(h, 6), 1);
        expected.emplace_back(7, 0, 0, 2);
        CHECK(layout(m) == expected);
        CHECK(m.at(Key{1, h}) == 1);
        CHECK(m.at(Key{2, other}) == 2);
        CHECK(m.at(Key{3, h}) == 3);
        CHECK_FALSE(m.contains(Key{4, other}));
        CHECK_FALSE(m.contains(Key{4, h}));
    }

    TEST_CASE("a second key in an entry's slice pushes the entry down into a sub-node") {
        const KeyMap<> one = KeyMap<>().set(Key{1, 0x21}, 1); // slices 1, 1
        const KeyMap<> two = one.set(Key{2, 0x41}, 2);        // slices 1, 2
        CHECK(layout(one) == std::vector<NodeLayout>{{0, 1u << 1, 0, 1}});
        CHECK(layout(two) == std::vector<NodeLayout>{{0, 0, 1u << 1, 0}, {1, 0b110, 0, 2}});
        // A key sharing three slices with key 1 pushes it down three levels at once.
        const KeyMap<> three = two.set(Key{3, 0x21 | (7u << 15)}, 3); // slices 1, 1, 0, 7
        CHECK(layout(three) == std::vector<NodeLayout>{{0, 0, 1u << 1, 0},
                                                       {1, 1u << 2, 1u << 1, 1},
                                                       {2, 0, 1u << 0, 0},
                                                       {3, (1u << 0) | (1u << 7), 0, 2}});
        CHECK(three.at(Key{1, 0x21}) == 1);
        CHECK(three.at(Key{2, 0x41}) == 2);
        CHECK(three.at(Key{3, 0x21 | (7u << 15)}) == 3);
        CHECK(layout(one) == std::vector<NodeLayout>{{0, 1u << 1, 0, 1}});
    }

    TEST_CASE("erasing one of two keys in a sub-node moves the survivor back inline") {
        const Key a{1, 0x21}, b{2, 0x41}, c{3, 0x21 | (7u << 15)}, d{4, 0x3};
        const KeyMap<> full = KeyMap<>().set(a, 1).set(b, 2).set(c, 3).set(d, 4);
        // c's erase collapses the depth 2 and 3 nodes: a goes back to the depth 1 node.
        const KeyMap<> no_c = full.erase(c);
        CHECK(shape(no_c) == shape(KeyMap<>().set(d, 4).set(b, 2).set(a, 1)));
        CHECK(layout(no_c) == std::vector<NodeLayout>{{0, 1u << 3, 1u << 1, 1}, {1, 0b110, 0, 2}});
        // Then b's erase collapses the depth 1 node: a goes back to the root.
        const KeyMap<> no_bc = no_c.erase(b);
        CHECK(layout(no_bc) == std::vector<NodeLayout>{{0, (1u << 1) | (1u << 3), 0, 2}});
        CHECK(shape(no_bc) == shape(KeyMap<>().set(d, 4).set(a, 1)));
        CHECK(no_bc.at(a) == 1);
        CHECK(no_bc.at(d) == 4);
        CHECK(full.size() == 4);
    }

    TEST_CASE("erasing keys leaves the canonical layout of the trie built without them") {
        // 300 keys on hashes with binary branching at every level, every hash used twice or
        // more: inline entries, sub-nodes and collision nodes at all depths.
        const SpreadHash spread;
        std::vector<Key> keys;
        for (int i = 0; i != 300; ++i) {
            keys.push_back(Key{i, static_cast<std::uint32_t>(spread(i % 140))});
        }
        std::uint32_t rng = 12345;
        const auto next = [&] { return rng = rng * 1664525u + 1013904223u; };
        for (int round = 0; round != 8; ++round) {
            CAPTURE(round);
            KeyMap<> m;
            for (const Key& k : keys) {
                m = m.set(k, k.id);
            }
            std::vector<Key> kept;
            for (const Key& k : keys) {
                if (next() % 8 < static_cast<std::uint32_t>(round)) {
                    m = m.erase(k);
                } else {
                    kept.push_back(k);
                }
            }
            std::reverse(kept.begin(), kept.end());
            KeyMap<> rebuilt;
            for (const Key& k : kept) {
                rebuilt = rebuilt.set(k, k.id);
            }
            CHECK(m.size() == kept.size());
            CHECK(shape(m) == shape(rebuilt));
            CHECK(m == rebuilt);
        }
    }

    TEST_CASE("a collision node grows and shrinks back to an inline entry at the right depth") {
        constexpr std::uint32_t h = 0x12345678;
        constexpr std::uint32_t near = h ^ (1u << 17); // shares slices 0-2, differs at 3
        const Key y{0, near}, c1{1, h}, c2{2, h}, c3{3, h};
        const KeyMap<> m3 = KeyMap<>().set(y, 0).set(c1, 1).set(c2, 2).set(c3, 3);
        std::vector<NodeLayout> expected;
        add_chain(expected, h, 0, 3);
        expected.emplace_back(3, bit(near, 3), bit(h, 3), 1);
        add_chain(expected, h, 4, 7);
        expected.emplace_back(7, 0, 0, 3);
        CHECK(layout(m3) == expected);

        const KeyMap<> m2 = m3.erase(c1);
        std::get<3>(expected.back()) = 2;
        CHECK(layout(m2) == expected);
        CHECK(m2.at(c2) == 2);
        CHECK(m2.at(c3) == 3);

        const KeyMap<> m1 = m2.erase(c2); // c3 goes inline at depth 3, beside y
        expected.clear();
        add_chain(expected, h, 0, 3);
        expected.emplace_back(3, bit(near, 3) | bit(h, 3), 0, 2);
        CHECK(layout(m1) == expected);
        CHECK(shape(m1) == shape(KeyMap<>().set(c3, 3).set(y, 0)));
        CHECK(m1.at(c3) == 3);
        CHECK(m1.at(y) == 0);

        const KeyMap<> grown = m1.set(c2, 2); // and grows back into a collision node
        CHECK(shape(grown) == shape(m2));
        CHECK(grown == m2);
        CHECK(layout(m3.erase(c3).erase(c1).erase(y)) ==
              std::vector<NodeLayout>{{0, bit(h, 0), 0, 1}});
    }
}
