// Shared helpers for the hamt tests: keys with chosen hashes, hash functors that collide on
// purpose, a counting allocator and throwing functors driven by global countdowns, a value
// type whose copy can throw, and views of a map (its shape, its contents as a std map).
#pragma once

#include <ctxvar/detail/hamt/map.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace hamt_test {

namespace hamt = ctxvar::detail::hamt;

// Makes the N-th call to tick() throw; disarmed (never throws) until arm() is called.
// thread_local, so a countdown armed in one test thread does not fire in another.
struct Countdown {
    long remaining = 0; // 0: disarmed
    void arm(long n) noexcept { remaining = n; }
    void disarm() noexcept { remaining = 0; }
    bool tick() noexcept { return remaining > 0 && --remaining == 0; }
};

inline thread_local Countdown alloc_countdown;
inline thread_local Countdown hash_countdown;
inline thread_local Countdown equal_countdown;
inline thread_local Countdown copy_countdown;

struct HashError : std::runtime_error {
    HashError() : std::runtime_error("injected hash failure") {}
};
struct EqualError : std::runtime_error {
    EqualError() : std::runtime_error("injected equality failure") {}
};
struct CopyError : std::runtime_error {
    CopyError() : std::runtime_error("injected copy failure") {}
};

// Bytes currently allocated and allocations made, by every CountingAlloc in every thread.
inline std::atomic<long long> live_bytes{0};
inline std::atomic<long long> allocations{0};

// A stateless allocator that counts, and throws std::bad_alloc when alloc_countdown fires.
// Sized delete lets ASan check that a node is freed with the size it was allocated with.
template <class T>
struct CountingAlloc {
    using value_type = T;
    CountingAlloc() noexcept = default;
    template <class U>
    CountingAlloc(const CountingAlloc<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (alloc_countdown.tick()) {
            throw std::bad_alloc();
        }
        live_bytes += static_cast<long long>(n * sizeof(T));
        ++allocations;
        return static_cast<T*>(::operator new(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        live_bytes -= static_cast<long long>(n * sizeof(T));
        ::operator delete(p, n * sizeof(T));
    }
    friend bool operator==(const CountingAlloc&, const CountingAlloc&) noexcept { return true; }
};

// A key that states its own hash: equal keys have equal ids (and must have equal hashes).
struct Key {
    int id;
    std::uint32_t hash;
    friend bool operator==(const Key&, const Key&) = default;
};

struct KeyHash {
    std::size_t operator()(const Key& k) const {
        if (hash_countdown.tick()) {
            throw HashError();
        }
        return k.hash;
    }
};

struct KeyEqual {
    bool operator()(const Key& a, const Key& b) const {
        if (equal_countdown.tick()) {
            throw EqualError();
        }
        return a.id == b.id;
    }
};

// A value whose every copy ticks copy_countdown; it has no move, so moves copy too.
// `live_vals` counts the objects alive, to check that a failed operation destroys its copies.
inline std::atomic<long> live_vals{0};

struct Val {
    int v;
    Val(int x) noexcept : v(x) { ++live_vals; }
    Val(const Val& o) : v(o.v) {
        if (copy_countdown.tick()) {
            throw CopyError();
        }
        ++live_vals;
    }
    Val& operator=(const Val&) = delete;
    ~Val() { --live_vals; }
    friend bool operator==(const Val& a, const Val& b) noexcept { return a.v == b.v; }
};

// Hashes for int keys that put keys on chosen paths (all below 2^32, so used as is).
struct IdHash { // the key itself
    std::size_t operator()(int k) const noexcept { return static_cast<std::uint32_t>(k); }
};
struct Mod7Hash { // seven full hashes: big collision nodes
    std::size_t operator()(int k) const noexcept { return static_cast<std::uint32_t>(k % 7); }
};
struct Shift25Hash { // slices 0-4 always zero: a long chain, then keys 128 apart collide
    std::size_t operator()(int k) const noexcept { return static_cast<std::uint32_t>(k) << 25; }
};
struct SpreadHash { // bit i of the key becomes bit 5*i: binary branching at every level
    std::size_t operator()(int k) const noexcept {
        std::uint32_t h = 0;
        for (unsigned i = 0; i != 7; ++i) {
            h |= ((static_cast<std::uint32_t>(k) >> i) & 1u) << (5 * i);
        }
        return h;
    }
};

template <class V = int>
using KeyMap = hamt::Map<Key, V, KeyHash, KeyEqual, CountingAlloc<std::byte>>;
template <class Hash, class V = int>
using IntMap = hamt::Map<int, V, Hash, std::equal_to<int>, CountingAlloc<std::byte>>;

// One node as visit_nodes reports it: depth, datamap, nodemap, entries, bytes.
using NodeShape = std::tuple<unsigned, std::uint32_t, std::uint32_t, unsigned, std::size_t>;

template <class M>
std::vector<NodeShape> shape(const M& map) {
    std::vector<NodeShape> out;
    map.visit_nodes([&](auto depth, auto datamap, auto nodemap, auto entries, auto bytes) {
        out.emplace_back(static_cast<unsigned>(depth), datamap, nodemap,
                         static_cast<unsigned>(entries), bytes);
    });
    return out;
}

// The shape without node sizes: depth, datamap, nodemap, entries. For expected layouts
// written by hand, which should not depend on the node's memory layout.
using NodeLayout = std::tuple<unsigned, std::uint32_t, std::uint32_t, unsigned>;

template <class M>
std::vector<NodeLayout> layout(const M& map) {
    std::vector<NodeLayout> out;
    for (const auto& [depth, datamap, nodemap, entries, bytes] : shape(map)) {
        out.emplace_back(depth, datamap, nodemap, entries);
    }
    return out;
}

// The seed of a random test: CTXVAR_SEED from the environment when set (to replay a failure
// whose seed the test printed), else the test's own fixed default.
inline std::uint64_t test_seed(std::uint64_t fallback) {
    if (const char* s = std::getenv("CTXVAR_SEED"); s != nullptr && *s != '\0') {
        return std::strtoull(s, nullptr, 0);
    }
    return fallback;
}

// The map's contents through iteration; fails the test if iteration yields a key twice.
template <class M>
auto to_std(const M& map) {
    std::unordered_map<typename M::key_type, typename M::mapped_type, typename M::hasher,
                       typename M::key_equal>
        out;
    for (const auto& [k, v] : map) {
        const bool fresh = out.emplace(k, v).second;
        REQUIRE_MESSAGE(fresh, "iteration yielded a key twice");
    }
    return out;
}

// Whether `map` holds exactly `model`: size, lookups of every key, and iteration.
template <class M, class Model>
bool matches(const M& map, const Model& model) {
    if (map.size() != model.size() || map.empty() != model.empty()) {
        return false;
    }
    for (const auto& [k, v] : model) {
        const auto* found = map.find(k);
        if (found == nullptr || !(*found == v)) {
            return false;
        }
    }
    std::size_t seen = 0;
    for (const auto& [k, v] : map) {
        const auto it = model.find(k);
        if (it == model.end() || !(it->second == v)) {
            return false;
        }
        ++seen;
    }
    return seen == model.size();
}

// A map holding `model`, inserted in the given order of keys.
template <class M, class Keys, class Model>
M build(const Keys& keys, const Model& model) {
    M map;
    for (const auto& k : keys) {
        map = map.set(k, model.at(k));
    }
    return map;
}

// A map holding `model`, built from scratch by the const overloads.
template <class M, class Model>
M rebuilt(const Model& model) {
    std::vector<typename M::key_type> keys;
    for (const auto& [k, v] : model) {
        keys.push_back(k);
    }
    return build<M>(keys, model);
}

} // namespace hamt_test
