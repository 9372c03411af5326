// The rvalue updates of maps that share nodes, or none: what they allocate and free, copies that
// must never see a change, and types whose moves may throw (which fall back to copying).
#include "test_helpers.hpp"

#include <cstdint>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

using namespace hamt_test;

namespace {

template <class M>
long long total_bytes(const M& map) {
    long long sum = 0;
    for (const NodeShape& node : shape(map)) {
        sum += static_cast<long long>(std::get<4>(node));
    }
    return sum;
}

// Keys for the allocation and sharing tests: a and b at the root, c and d in a node at depth 3
// (a chain under root slice 3), e joins them there, f pushes b down to depth 4, g lands in a
// free root slice, and p, q, r share one full hash (a collision node under root slice 24).
constexpr std::uint32_t deep = 0x12345678;
const Key a{1, 0x01}, b{2, 0x02}, c{3, 0x03}, d{4, 0x03 | 1u << 15}, e{5, 0x03 | 2u << 15},
    f{6, 0x02 | 1u << 20}, g{7, 0x04}, p{8, deep}, q{9, deep}, r{10, deep};

using KModel = std::unordered_map<Key, int, KeyHash, KeyEqual>;

KeyMap<> base_map(KModel& model) {
    model = {{a, 1}, {b, 2}, {c, 3}, {d, 4}, {p, 8}, {q, 9}};
    return rebuilt<KeyMap<>>(model);
}

struct Op {
    bool erase;
    Key key;
    int value;
};

KeyMap<> rvalue(KeyMap<>&& m, const Op& op) {
    return op.erase ? std::move(m).erase(op.key) : std::move(m).set(op.key, op.value);
}

void apply(KModel& model, const Op& op) {
    if (op.erase) {
        model.erase(op.key);
    } else {
        model.insert_or_assign(op.key, op.value);
    }
}

} // namespace

TEST_SUITE("hamt") {
    TEST_CASE("rvalue updates of an unshared map allocate only the nodes that change size") {
        const long long bytes = live_bytes;
        KModel model;
        KeyMap<> m = base_map(model);
        const auto update = [&](const Op& op, long long expected_allocations) {
            const long long before = allocations;
            m = rvalue(std::move(m), op);
            CHECK(allocations - before == expected_allocations);
            apply(model, op);
            CHECK(matches(m, model));
            CHECK(live_bytes - bytes == total_bytes(m)); // nothing else is alive: no leak
            CHECK(shape(m) == shape(rebuilt<KeyMap<>>(model)));
        };
        update({false, b, 20}, 0); // assign at the root
        update({false, c, 30}, 0); // assign at depth 3
        update({false, c, 30}, 0); // assign an equal value
        update({false, q, 90}, 0); // assign in a collision node
        update({false, g, 7}, 1);  // the root grows
        update({false, e, 5}, 1);  // the node at depth 3 grows
        update({false, r, 10}, 1); // the collision node grows
        update({false, f, 6}, 5);  // four new nodes down to depth 4, the root shrinks
        update({true, e, 0}, 1);   // the node at depth 3 shrinks
        update({true, f, 0}, 1);   // b comes back to the root; the chain to depth 4 is freed
        update({true, d, 0}, 1);   // c comes back to the root; the chain to depth 3 is freed
        update({true, p, 0}, 1);   // the collision node shrinks
        update({true, q, 0}, 1);   // r comes back to the root; the collision chain is freed
        update({true, g, 0}, 1);
        update({true, a, 0}, 1);
        update({true, b, 0}, 1);
        update({true, r, 0}, 1);
        update({true, c, 0}, 0); // the last entry: the root is freed
        CHECK(m.empty());
        CHECK(live_bytes == bytes);
    }

    TEST_CASE("rvalue updates never change a copy that shares the root or a subtree") {
        const long long bytes = live_bytes;
        KModel model;
        KeyMap<> m = base_map(model);
        SUBCASE("a copy of the whole map, taken before either one is updated") {
            const Op ops[] = {{false, g, 7}, {false, b, 20}, {false, c, 30}, {false, e, 5},
                              {false, f, 6}, {false, r, 10}, {true, p, 0},   {true, q, 0},
                              {true, e, 0},  {true, f, 0},   {true, d, 0},   {true, a, 0}};
            for (const Op& op : ops) {
                CAPTURE(op.key.id);
                KModel expected = model;
                apply(expected, op);
                const std::vector<NodeShape> before = shape(m);
                KeyMap<> copy = m;
                KeyMap<> updated = rvalue(std::move(copy), op); // the copy changes
                CHECK(copy.empty());
                CHECK(matches(updated, expected));
                CHECK((matches(m, model) && shape(m) == before));
                copy = m;
                m = rvalue(std::move(m), op); // the original changes
                CHECK((matches(copy, model) && shape(copy) == before));
                CHECK(matches(m, expected));
                CHECK(shape(m) == shape(updated));
                model = expected;
            }
        }
        SUBCASE("a copy sharing subtrees with a map whose root is unshared") {
            const KeyMap<> copy = m;
            const KModel copy_model = model;
            const std::vector<NodeShape> copy_shape = shape(copy);
            const auto update = [&](const Op& op, long long expected_allocations) {
                const long long before = allocations;
                m = rvalue(std::move(m), op);
                CHECK(allocations - before == expected_allocations);
                apply(model, op);
                CHECK(matches(m, model));
                CHECK(matches(copy, copy_model));
                CHECK(shape(copy) == copy_shape);
            };
            update({false, g, 7}, 1);  // the shared root is copied; now m owns it alone
            update({false, c, 30}, 3); // the shared chain to depth 3 is copied, the root is not
            update({false, c, 31}, 0); // that chain is m's alone now
            update({false, e, 5}, 1);
            update({true, q, 0}, 1); // p comes up from the shared collision node
            update({false, a, 10}, 0);
            update({true, d, 0}, 1);
            update({true, b, 0}, 1);
            for (const auto& [k, v] : copy_model) {
                CHECK(copy.at(k) == v);
            }
        }
        m = {};
        CHECK(live_bytes == bytes);
    }

    TEST_CASE("an rvalue assignment on an unshared map moves the value in without copying it") {
        struct Counted {
            int v = 0;
            int* copies = nullptr;
            Counted(int x, int* c) noexcept : v(x), copies(c) {}
            Counted(const Counted& o) : v(o.v), copies(o.copies) { ++*copies; }
            Counted(Counted&&) noexcept = default;
            Counted& operator=(Counted&&) noexcept = default;
            Counted& operator=(const Counted&) = default;
        };
        static_assert(hamt::in_place_updatable<int, Counted>);
        int copies = 0;
        hamt::Map<int, Counted, IdHash, std::equal_to<int>, CountingAlloc<std::byte>> m;
        m = std::move(m).set(1, Counted(1, &copies));
        m = std::move(m).set(2, Counted(2, &copies));
        const long long allocs = allocations;
        copies = 0;
        m = std::move(m).set(1, Counted(10, &copies));
        CHECK(copies == 0);
        CHECK(allocations == allocs);
        CHECK(m.at(1).v == 10);
        CHECK(m.at(2).v == 2);
    }

    TEST_CASE("types whose moves may throw get correct results from the rvalue overloads") {
        static_assert(hamt::in_place_updatable<int, int>);
        static_assert(hamt::in_place_updatable<std::string, std::string>);
        static_assert(!hamt::in_place_updatable<Key, Val>); // Val has no move: moves copy
        const long long bytes = live_bytes;
        {
            KeyMap<Val> m;
            for (const Key& k : {a, b, c, d, p, q}) {
                m = std::move(m).set(k, Val(k.id));
            }
            const long long allocs = allocations;
            m = std::move(m).set(a, Val(10)); // unshared, yet the root is copied
            CHECK(allocations - allocs == 1);
            const KeyMap<Val> copy = m;
            const auto copy_model = to_std(copy);
            m = std::move(m).set(b, Val(20));
            m = std::move(m).set(e, Val(5));
            m = std::move(m).erase(q);
            m = std::move(m).erase(d);
            auto model = copy_model;
            model.erase(b);
            model.emplace(b, Val(20));
            model.emplace(e, Val(5));
            model.erase(q);
            model.erase(d);
            CHECK(matches(m, model));
            CHECK(matches(copy, copy_model));

            KeyMap<Val> given = m; // the fallback empties what it was given, like the in-place path
            const KeyMap<Val> result = std::move(given).set(a, Val(11));
            CHECK(given.empty());
            CHECK(result.at(a).v == 11);
            given = m;
            const KeyMap<Val> erased = std::move(given).erase(a);
            CHECK(given.empty());
            CHECK_FALSE(erased.contains(a));
        }
        CHECK(live_bytes == bytes);
    }
}
