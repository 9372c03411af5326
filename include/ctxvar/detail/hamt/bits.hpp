// Hash slicing and bitmap arithmetic for the persistent hash trie: how a 32-bit hash becomes
// a path of 5-bit slices, and how a slice becomes an index into a node's packed arrays.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace ctxvar::detail::hamt {

using hash_t = std::uint32_t;
using bitmap_t = std::uint32_t;

// 32-way branching: each level consumes 5 bits of the hash, the last inner level the 2 that
// remain. Below `max_depth` every hash bit has been used; keys still together there share
// their whole hash and live in a collision node.
inline constexpr unsigned bits_per_level = 5;
inline constexpr unsigned branches = 1u << bits_per_level;
inline constexpr unsigned max_depth = (32 + bits_per_level - 1) / bits_per_level; // 7

// Folds a std::size_t hash to the 32 bits the trie uses. A hash that already fits in 32 bits
// is unchanged, so tests can choose the exact path of a key.
constexpr hash_t fold_hash(std::size_t h) noexcept {
    if constexpr (sizeof(std::size_t) > sizeof(hash_t)) {
        return static_cast<hash_t>(h ^ (static_cast<std::uint64_t>(h) >> 32));
    } else {
        return static_cast<hash_t>(h);
    }
}

// The slice of `hash` that selects a branch at `depth` (0 = root).
constexpr unsigned slice(hash_t hash, unsigned depth) noexcept {
    return (hash >> (depth * bits_per_level)) & (branches - 1);
}

constexpr bitmap_t bit_for(hash_t hash, unsigned depth) noexcept {
    return bitmap_t{1} << slice(hash, depth);
}

// Population count. With `-mpopcnt` (or any -march that has it) this is one instruction.
// Without it, std::popcount compiles to a call into libgcc, measurably slower than the
// branch-free bit arithmetic below, which any x86-64 (or other) CPU runs.
constexpr unsigned popcount(bitmap_t x) noexcept {
#if defined(__POPCNT__) || !(defined(__x86_64__) || defined(__i386__))
    return static_cast<unsigned>(std::popcount(x));
#else
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0F0F0F0Fu;
    return (x * 0x01010101u) >> 24;
#endif
}

// Index of `bit` among the set bits of `map`: where its element sits in the packed array.
constexpr unsigned index_of(bitmap_t map, bitmap_t bit) noexcept {
    return popcount(map & (bit - 1));
}

} // namespace ctxvar::detail::hamt
