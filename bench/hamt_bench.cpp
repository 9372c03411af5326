// The persistent trie beside std::unordered_map and std::map: find, insert, erase, iteration,
// the copy-then-insert a persistent snapshot replaces, and memory per entry.
#include "counting_allocator.hpp"

#include <ctxvar/detail/hamt/map.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

using Key = std::uint64_t;
using Value = std::uint64_t;
using ctxvar::bench::CountingAllocator;
using ctxvar::bench::live_bytes;

// Random keys: std::hash of an integer is the identity, so sequential keys would give the trie
// a perfectly balanced layout that real pointer or name hashes do not.
struct Keys {
    std::vector<Key> present; // in the map, in a shuffled order for lookups
    std::vector<Key> absent;  // not in the map, for inserts
};

Keys make_keys(std::size_t n) {
    std::mt19937_64 rng(42);
    std::unordered_set<Key> seen;
    Keys keys;
    while (keys.present.size() != n) {
        if (Key k = rng(); seen.insert(k).second) {
            keys.present.push_back(k);
        }
    }
    while (keys.absent.size() != 1024) {
        if (Key k = rng(); seen.insert(k).second) {
            keys.absent.push_back(k);
        }
    }
    std::shuffle(keys.present.begin(), keys.present.end(), rng);
    return keys;
}

// One policy per container: build, and the four operations measured. Every insert or erase
// is undone within its iteration so the size stays n: a std container erases (or re-inserts)
// the key, the trie drops the new version.
template <class Alloc = std::allocator<std::byte>>
struct Trie {
    using map_type =
        ctxvar::detail::hamt::Map<Key, Value, std::hash<Key>, std::equal_to<Key>, Alloc>;
    static map_type build(const std::vector<Key>& keys) {
        map_type m;
        for (Key k : keys) {
            m = m.set(k, k);
        }
        return m;
    }
    static Value find(const map_type& m, Key k) { return *m.find(k); }
    static void insert(map_type& m, Key k) { benchmark::DoNotOptimize(m.set(k, k)); }
    static void erase(map_type& m, Key k) { benchmark::DoNotOptimize(m.erase(k)); }
    // The owner of an unshared map updating it where it is (what a context does on `set` when
    // no copy shares its snapshot): insert the key, then erase it again.
    static void insert_in_place(map_type& m, Key k) {
        m = std::move(m).set(k, k);
        m = std::move(m).erase(k);
    }
};

template <class M>
struct StdMap {
    using map_type = M;
    static map_type build(const std::vector<Key>& keys) {
        map_type m;
        for (Key k : keys) {
            m.emplace(k, k);
        }
        return m;
    }
    static Value find(const map_type& m, Key k) { return m.find(k)->second; }
    static void insert(map_type& m, Key k) {
        m.emplace(k, k);
        m.erase(k);
    }
    static void erase(map_type& m, Key k) {
        m.erase(k);
        m.emplace(k, k);
    }
    // What a snapshot costs without sharing: copy the whole map, then change the copy.
    static void copy_then_insert(const map_type& m, Key k) {
        map_type copy = m;
        copy.emplace(k, k);
        benchmark::DoNotOptimize(copy);
    }
};

using UnorderedMap = StdMap<std::unordered_map<Key, Value>>;
using OrderedMap = StdMap<std::map<Key, Value>>;

// Builds the container of state.range(0) keys, then calls op(map, key) once per iteration,
// with the keys of `which` (Keys::present or Keys::absent) in turn.
template <class Impl, class Op>
void each_key(benchmark::State& state, std::vector<Key> Keys::*which, Op op) {
    const Keys keys = make_keys(static_cast<std::size_t>(state.range(0)));
    auto m = Impl::build(keys.present);
    const std::vector<Key>& ks = keys.*which;
    std::size_t i = 0;
    for (auto _ : state) {
        op(m, ks[i]);
        i = i + 1 == ks.size() ? 0 : i + 1;
    }
}

template <class Impl>
void find(benchmark::State& state) {
    each_key<Impl>(state, &Keys::present,
                   [](const auto& m, Key k) { benchmark::DoNotOptimize(Impl::find(m, k)); });
}

template <class Impl>
void insert(benchmark::State& state) {
    each_key<Impl>(state, &Keys::absent, [](auto& m, Key k) { Impl::insert(m, k); });
}

// Insert then erase in place, so the size stays n; the std containers do the same in `insert`.
template <class Impl>
void insert_in_place(benchmark::State& state) {
    each_key<Impl>(state, &Keys::absent, [](auto& m, Key k) { Impl::insert_in_place(m, k); });
}

template <class Impl>
void erase(benchmark::State& state) {
    each_key<Impl>(state, &Keys::present, [](auto& m, Key k) { Impl::erase(m, k); });
}

template <class Impl>
void copy_then_insert(benchmark::State& state) {
    each_key<Impl>(state, &Keys::absent,
                   [](const auto& m, Key k) { Impl::copy_then_insert(m, k); });
}

template <class Impl>
void iterate(benchmark::State& state) {
    const auto m = Impl::build(make_keys(static_cast<std::size_t>(state.range(0))).present);
    for (auto _ : state) {
        Value sum = 0;
        for (const auto& [k, v] : m) {
            sum += v;
        }
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Memory, not time: bytes the container asked for per entry, what that is beyond the
// key/value pair itself (`overhead`), and what the heap really gave it per entry, malloc's
// own bookkeeping included (`heap_bytes_per_entry`). One iteration; the counters are the result.
template <class Map>
void memory(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const Keys keys = make_keys(n);
    const std::size_t before = live_bytes;
    const std::size_t heap_before = ctxvar::bench::heap_bytes;
    Map m;
    for (auto _ : state) {
        if constexpr (requires { m.emplace(Key{}, Value{}); }) {
            for (Key k : keys.present) {
                m.emplace(k, k);
            }
        } else {
            for (Key k : keys.present) {
                m = m.set(k, k);
            }
        }
    }
    const double bytes = static_cast<double>(live_bytes - before) / static_cast<double>(n);
    state.counters["bytes_per_entry"] = bytes;
    state.counters["overhead"] = bytes - static_cast<double>(sizeof(std::pair<Key, Value>));
    state.counters["heap_bytes_per_entry"] =
        static_cast<double>(ctxvar::bench::heap_bytes - heap_before) / static_cast<double>(n);
}

using CountedTrie = Trie<CountingAllocator<std::byte>>::map_type;
using CountedUnordered = std::unordered_map<Key, Value, std::hash<Key>, std::equal_to<Key>,
                                            CountingAllocator<std::pair<const Key, Value>>>;
using CountedOrdered =
    std::map<Key, Value, std::less<Key>, CountingAllocator<std::pair<const Key, Value>>>;

// The trie's index arithmetic, popcount(bitmap & (bit - 1)), three ways: std::popcount as the
// x86-64 baseline compiles it (a libgcc call), the bit arithmetic the trie uses there, and the
// popcnt instruction (what -Dnative_popcnt=true gives).
std::vector<std::uint32_t> random_bitmaps() {
    std::mt19937 rng(7);
    std::vector<std::uint32_t> v(4096);
    for (auto& x : v) {
        x = static_cast<std::uint32_t>(rng());
    }
    return v;
}

void popcount_std(benchmark::State& state) {
    const auto maps = random_bitmaps();
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(std::popcount(maps[i++ & 4095] & 0xFFFFu));
    }
}

void popcount_trie(benchmark::State& state) {
    const auto maps = random_bitmaps();
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(ctxvar::detail::hamt::index_of(maps[i++ & 4095], 0x10000u));
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("popcnt"))) void popcount_instruction(benchmark::State& state) {
    const auto maps = random_bitmaps();
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(__builtin_popcount(maps[i++ & 4095] & 0xFFFFu));
    }
}
BENCHMARK(popcount_instruction);
#endif
BENCHMARK(popcount_std);
BENCHMARK(popcount_trie);

void sizes(benchmark::internal::Benchmark* b) {
    for (long n : {1, 8, 64, 1000, 10000, 100000}) {
        b->Arg(n);
    }
}

BENCHMARK(find<Trie<>>)->Name("hamt/find/trie")->Apply(sizes);
BENCHMARK(find<UnorderedMap>)->Name("hamt/find/unordered_map")->Apply(sizes);
BENCHMARK(find<OrderedMap>)->Name("hamt/find/map")->Apply(sizes);
BENCHMARK(insert<Trie<>>)->Name("hamt/insert/trie")->Apply(sizes);
BENCHMARK(insert<UnorderedMap>)->Name("hamt/insert/unordered_map")->Apply(sizes);
BENCHMARK(insert<OrderedMap>)->Name("hamt/insert/map")->Apply(sizes);
BENCHMARK(insert_in_place<Trie<>>)->Name("hamt/insert_erase_in_place/trie")->Apply(sizes);
BENCHMARK(copy_then_insert<UnorderedMap>)
    ->Name("hamt/copy_then_insert/unordered_map")
    ->Apply(sizes);
BENCHMARK(copy_then_insert<OrderedMap>)->Name("hamt/copy_then_insert/map")->Apply(sizes);
BENCHMARK(erase<Trie<>>)->Name("hamt/erase/trie")->Apply(sizes);
BENCHMARK(erase<UnorderedMap>)->Name("hamt/erase/unordered_map")->Apply(sizes);
BENCHMARK(erase<OrderedMap>)->Name("hamt/erase/map")->Apply(sizes);
BENCHMARK(iterate<Trie<>>)->Name("hamt/iterate/trie")->Apply(sizes);
BENCHMARK(iterate<UnorderedMap>)->Name("hamt/iterate/unordered_map")->Apply(sizes);
BENCHMARK(iterate<OrderedMap>)->Name("hamt/iterate/map")->Apply(sizes);
BENCHMARK(memory<CountedTrie>)->Name("hamt/memory/trie")->Apply(sizes)->Iterations(1);
BENCHMARK(memory<CountedUnordered>)->Name("hamt/memory/unordered_map")->Apply(sizes)->Iterations(1);
BENCHMARK(memory<CountedOrdered>)->Name("hamt/memory/map")->Apply(sizes)->Iterations(1);

} // namespace
