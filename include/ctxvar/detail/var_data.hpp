// ctxvar::detail::VarData: what a ContextVar handle points to (name, value type, default), and
// how the trie keys on it: by identity, hashed from its address.
#pragma once

#include <ctxvar/detail/ref.hpp>
#include <ctxvar/detail/value_box.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <typeinfo>

namespace ctxvar::detail {

struct VarData : RefCounted {
    VarData(std::string name, const std::type_info& type, ValueRef default_value)
        : name(std::move(name)), type(&type), default_value(std::move(default_value)) {}

    const std::string name;
    const std::type_info* const type; // T of the ContextVar<T> that made it
    const ValueRef default_value;     // null: no default

    static void destroy(const VarData* var) noexcept { delete var; }
};

using VarRef = Ref<VarData>;

// Keys are compared by identity. The hash multiplies the address by a 64-bit odd constant
// (Fibonacci hashing) so that variables allocated side by side spread over the trie's slices;
// the trie folds the result to 32 bits.
// The address mixed by that multiplication; its high bits are the best spread.
inline std::uint64_t mixed_address(const VarData* var) noexcept {
    return (reinterpret_cast<std::uintptr_t>(var) >> 4) * std::uint64_t{0x9E3779B97F4A7C15};
}

struct VarHash {
    using is_transparent = void;
    std::size_t operator()(const VarData* var) const noexcept {
        return static_cast<std::size_t>(mixed_address(var) >> 16);
    }
    std::size_t operator()(const VarRef& var) const noexcept { return (*this)(var.get()); }
};

struct VarEqual {
    using is_transparent = void;
    static const VarData* address(const VarData* var) noexcept { return var; }
    static const VarData* address(const VarRef& var) noexcept { return var.get(); }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
        return address(a) == address(b);
    }
};

// "<ContextVar name='request_id'>", the form CPython's messages use (without the address).
std::string var_repr(const VarData& var);

// A type's readable (demangled) name for error messages: "std::string", not "NSt7__cxx11...".
std::string type_name(const std::type_info& type);

} // namespace ctxvar::detail
