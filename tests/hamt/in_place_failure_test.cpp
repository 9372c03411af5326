// Exception safety of the rvalue updates: allocation, hash, equality and value copies failing
// at every possible point leave the map that was moved from exactly as it was (and every map
// sharing its nodes), and leak nothing; the updates that finally succeed are right.
#include "test_helpers.hpp"

#include <cstdint>
#include <new>
#include <unordered_map>
#include <utility>
#include <vector>

using namespace hamt_test;

namespace {

// Like Val, but with noexcept moves, so a map of it is updated in place; copies may throw.
struct MVal {
    int v;
    MVal(int x) noexcept : v(x) { ++live_vals; }
    MVal(const MVal& o) : v(o.v) {
        if (copy_countdown.tick()) {
            throw CopyError();
        }
        ++live_vals;
    }
    MVal(MVal&& o) noexcept : v(o.v) { ++live_vals; }
    MVal& operator=(const MVal& o) {
        MVal copy(o);
        v = copy.v;
        return *this;
    }
    MVal& operator=(MVal&& o) noexcept {
        v = o.v;
        return *this;
    }
    ~MVal() { --live_vals; }
    friend bool operator==(const MVal& a, const MVal& b) noexcept { return a.v == b.v; }
};
static_assert(hamt::in_place_updatable<Key, MVal>);

using FMap = KeyMap<MVal>;
using FModel = std::unordered_map<Key, MVal, KeyHash, KeyEqual>;

constexpr std::uint32_t deep = 0x12345678;            // a full hash shared by several keys
constexpr std::uint32_t near = deep ^ (1u << 17);     // shares slices 0-2 with `deep`
constexpr std::uint32_t far_hash = deep ^ (1u << 30); // shares slices 0-5 with `deep`
const Key other{100, 31}; // the only key in root slice 31: updated to unshare the root

enum class Kind { insert, assign, erase, erase_collapse };

struct Scenario {
    const char* name;
    std::vector<std::pair<Key, int>> base;
    Kind kind;
    Key key;
    int value;
    bool compares; // whether the operation must call Equal
};

const std::vector<Scenario>& scenarios() {
    static const std::vector<Scenario> all = {
        {"insert into empty", {}, Kind::insert, {1, 1}, 1, false},
        {"insert into a root with space",
         {{{1, 1}, 1}, {{2, 2}, 2}, {{3, 35}, 3}},
         Kind::insert,
         {4, 4},
         4,
         false},
        {"insert pushing an entry down",
         {{{1, 0x21}, 1}, {{2, 2}, 2}},
         Kind::insert,
         {3, 0x41},
         3,
         true},
        {"insert merging down to a collision node",
         {{{1, deep}, 1}, {{2, 2}, 2}},
         Kind::insert,
         {3, deep},
         3,
         true},
        {"insert at depth 6",
         {{{1, deep}, 1}, {{2, deep}, 2}},
         Kind::insert,
         {3, far_hash},
         3,
         false},
        {"insert into a collision node",
         {{{1, deep}, 1}, {{2, deep}, 2}, {{3, near}, 3}},
         Kind::insert,
         {4, deep},
         4,
         true},
        {"assign in a sub-node",
         {{{1, 0x21}, 1}, {{2, 0x41}, 2}, {{3, 3}, 3}},
         Kind::assign,
         {2, 0x41},
         20,
         true},
        {"assign in a collision node",
         {{{1, deep}, 1}, {{2, deep}, 2}, {{3, deep}, 3}},
         Kind::assign,
         {2, deep},
         20,
         true},
        {"erase with collapse",
         {{{1, deep}, 1}, {{2, deep}, 2}, {{3, near}, 3}},
         Kind::erase_collapse,
         {1, deep},
         0,
         true},
        {"erase from a collision node",
         {{{1, deep}, 1}, {{2, deep}, 2}, {{3, deep}, 3}},
         Kind::erase,
         {3, deep},
         0,
         true},
        {"erase from a sub-node",
         {{{1, 0x21}, 1}, {{2, 0x41}, 2}, {{3, 0x61}, 3}},
         Kind::erase,
         {2, 0x41},
         0,
         true},
    };
    return all;
}

// How much of the map the operation runs on is shared with another map.
enum class Sharing { none, subtrees, all };

FMap apply(const Scenario& s, FMap&& m) {
    const bool erase = s.kind == Kind::erase || s.kind == Kind::erase_collapse;
    return erase ? std::move(m).erase(s.key) : std::move(m).set(s.key, MVal(s.value));
}

// Runs the scenario with `countdown` firing at the 1st, 2nd, ... call until the rvalue update
// succeeds, checking after each failure that the map moved from, and the map sharing its nodes,
// are unchanged and nothing leaked. Returns the number of failed attempts.
template <class Exception>
int run_with_failures(const Scenario& s, Sharing sharing, Countdown& countdown) {
    FMap m;
    for (const auto& [k, v] : s.base) {
        m = m.set(k, MVal(v));
    }
    FMap alias;
    if (sharing != Sharing::none) {
        alias = m;
    }
    if (sharing == Sharing::subtrees) {
        m = std::move(m).set(other, MVal(100)); // copies the root only
    }
    const FModel model = to_std(m);
    const std::vector<NodeShape> m_shape = shape(m);
    const FModel alias_model = to_std(alias);
    const std::vector<NodeShape> alias_shape = shape(alias);
    FModel expected = model;
    expected.erase(s.key);
    if (s.kind == Kind::insert || s.kind == Kind::assign) {
        expected.emplace(s.key, MVal(s.value));
    }
    for (long n = 1;; ++n) {
        CAPTURE(n);
        const long long bytes = live_bytes;
        const long vals = live_vals;
        countdown.arm(n);
        try {
            const FMap result = apply(s, std::move(m));
            countdown.disarm();
            CHECK(m.empty());
            CHECK(matches(result, expected));
            CHECK(shape(result) == shape(rebuilt<FMap>(expected)));
            CHECK((matches(alias, alias_model) && shape(alias) == alias_shape));
            return static_cast<int>(n - 1);
        } catch (const Exception&) {
            countdown.disarm();
        }
        CHECK(live_bytes == bytes);
        CHECK(live_vals == vals);
        CHECK(shape(m) == m_shape);
        CHECK(matches(m, model));
        CHECK((matches(alias, alias_model) && shape(alias) == alias_shape));
        REQUIRE(n < 100);
    }
}

// Runs every scenario on every sharing; `expect_failures(scenario, sharing)` says whether the
// update must reach the countdown at least once (else it must never reach it).
template <class Exception, class Expect>
void run_all(Countdown& countdown, Expect expect_failures) {
    for (const Scenario& s : scenarios()) {
        for (Sharing sharing : {Sharing::none, Sharing::subtrees, Sharing::all}) {
            CAPTURE(s.name);
            CAPTURE(static_cast<int>(sharing));
            const long long bytes = live_bytes;
            const long vals = live_vals;
            const int failures = run_with_failures<Exception>(s, sharing, countdown);
            CHECK((failures >= 1) == expect_failures(s, sharing));
            CHECK(live_bytes == bytes);
            CHECK(live_vals == vals);
        }
    }
}

bool in_place(const Scenario& s, Sharing sharing) {
    return sharing == Sharing::none && !s.base.empty();
}

} // namespace

TEST_SUITE("hamt") {
    TEST_CASE("a failed allocation in an rvalue update leaves the moved-from map unchanged") {
        // An unshared assignment allocates nothing.
        run_all<std::bad_alloc>(alloc_countdown, [](const Scenario& s, Sharing sharing) {
            return !(in_place(s, sharing) && s.kind == Kind::assign);
        });
    }

    TEST_CASE("a throwing hash in an rvalue update leaves the moved-from map unchanged") {
        run_all<HashError>(hash_countdown, [](const Scenario&, Sharing) { return true; });
    }

    TEST_CASE("a throwing equality in an rvalue update leaves the moved-from map unchanged") {
        run_all<EqualError>(equal_countdown, [](const Scenario& s, Sharing) { return s.compares; });
    }

    TEST_CASE("a throwing value copy in an rvalue update leaves the moved-from map unchanged") {
        // Unshared, an erase without collapse moves entries and an assignment moves the new
        // value in: neither copies a value.
        run_all<CopyError>(copy_countdown, [](const Scenario& s, Sharing sharing) {
            return !(in_place(s, sharing) && (s.kind == Kind::erase || s.kind == Kind::assign));
        });
    }
}
