// ctxvar::detail::LocalValues: what one context holds for one Local, a persistent map from
// names to type-erased immutable values, so that setting a name copies a path, never the map.
#pragma once

#include <ctxvar/detail/hamt/map.hpp>
#include <ctxvar/detail/value_box.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <typeinfo>

namespace ctxvar::detail {

// One named value: the shared box and the type it was stored as.
struct LocalEntry {
    ValueRef value;
    const std::type_info* type;

    template <class T>
    const T* get_if() const noexcept {
        return *type == typeid(T) ? &unbox<T>(*value) : nullptr;
    }

    // Same type and equal by that type's == (a type without == is equal only to the same box),
    // so that contexts holding equal locals compare equal, as Python's dicts do.
    friend bool operator==(const LocalEntry& a, const LocalEntry& b) {
        return a.value.get() == b.value.get() ||
               (*a.type == *b.type && a.value->ops->equal(*a.value, *b.value));
    }
};

// Names are looked up as string_views, so a literal never becomes a std::string to be found.
// The hash reads a name a word at a time (names are short: one or two words), with a multiply
// and a shift to mix each word in, then avalanches; std::hash's Murmur2 is slower here.
struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept {
        constexpr std::uint64_t k = 0x9E3779B97F4A7C15;
        const char* p = name.data();
        std::size_t n = name.size();
        std::uint64_t h = n * k;
        const auto mix = [&](std::uint64_t word) {
            h = (h ^ word) * k;
            h ^= h >> 32;
        };
        for (; n > 8; n -= 8, p += 8) {
            mix(load<std::uint64_t>(p));
        }
        if (n >= 4) { // the last 4..8 bytes, as two possibly overlapping halves
            mix(load<std::uint32_t>(p) | std::uint64_t{load<std::uint32_t>(p + n - 4)} << 32);
        } else if (n > 0) {
            mix(std::uint64_t{static_cast<unsigned char>(p[0])} |
                std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 |
                std::uint64_t{static_cast<unsigned char>(p[n - 1])} << 16);
        }
        // Murmur3's finalizer: every input bit reaches the low bits the trie slices first.
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCD;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53;
        h ^= h >> 33;
        return static_cast<std::size_t>(h);
    }

  private:
    template <class Word>
    static Word load(const char* p) noexcept {
        Word w;
        std::memcpy(&w, p, sizeof w);
        return w;
    }
};
struct NameEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};

using LocalValues = hamt::Map<std::string, LocalEntry, NameHash, NameEqual>;

[[noreturn]] void throw_missing_name(std::string_view name);
[[noreturn]] void throw_name_type(std::string_view name, const std::type_info& stored,
                                  const std::type_info& requested);
[[noreturn]] void throw_proxy_type(std::string_view name, const std::type_info& stored,
                                   const std::type_info& proxied);

} // namespace ctxvar::detail
