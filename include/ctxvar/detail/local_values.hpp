// ctxvar::detail::LocalValues: what one context holds for one Local, a persistent map from
// names to type-erased immutable values, so that setting a name copies a path, never the map.
#pragma once

#include <ctxvar/detail/hamt/map.hpp>
#include <ctxvar/detail/value_box.hpp>

#include <cstddef>
#include <functional>
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
struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept {
        return std::hash<std::string_view>{}(name);
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
