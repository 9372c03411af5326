// How a LocalProxy<T> reaches its object from what a source holds: the stored value itself,
// or the pointee of a stored pointer-like value. Compile-time for typed sources (variables,
// stacks, callables), by the stored type_info for a Local's names.
#pragma once

#include <ctxvar/detail/local_values.hpp>

#include <concepts>
#include <memory>
#include <string_view>
#include <type_traits>
#include <typeinfo>

namespace ctxvar::detail {

// A stored S is the object itself. Stored values are immutable, so this needs a const T.
template <class S, class T>
concept reaches_as_value = std::is_convertible_v<const S*, T*>;

// A stored S points at the object: a raw pointer, or anything with operator-> and a test for
// null (std::shared_ptr, std::unique_ptr, std::optional). Null means unbound.
template <class S, class T>
concept reaches_through_pointer = (std::is_pointer_v<S> && std::is_convertible_v<S, T*>) ||
                                  (std::is_class_v<S> && requires(const S& s) {
                                      { s.operator->() } -> std::convertible_to<T*>;
                                      static_cast<bool>(s);
                                  });

template <class S, class T>
concept reaches = reaches_as_value<S, T> || reaches_through_pointer<S, T>;

// The object a stored S gives a LocalProxy<T>, or nullptr (a null pointer: unbound).
template <class T, class S>
requires reaches<S, T> T* proxy_target(const S& stored) noexcept {
    if constexpr (reaches_as_value<S, T>) {
        return &stored;
    } else if constexpr (std::is_pointer_v<S>) {
        return stored;
    } else {
        return static_cast<bool>(stored) ? stored.operator->() : nullptr;
    }
}

// A callable source's result gives a T: a reference to a T (or to something derived), a raw
// pointer, or a reference to a pointer-like value that outlives the call. An object or owning
// pointer returned by value would be destroyed before the proxy used it, so it does not count.
template <class R, class T>
concept result_reaches = (std::is_lvalue_reference_v<R> &&
                          (std::is_convertible_v<std::remove_reference_t<R>*, T*> ||
                           reaches_through_pointer<std::remove_cvref_t<R>, T>)) ||
                         (std::is_pointer_v<R> && reaches_through_pointer<R, T>);

template <class F, class T>
concept callable_source =
    std::invocable<const F&> && result_reaches<std::invoke_result_t<const F&>, T>;

// The stored types by which a Local's name can give a LocalProxy<T> its object.
template <class T>
T* local_proxy_target(const LocalEntry* entry, std::string_view name) {
    using X = std::remove_cv_t<T>;
    if (entry == nullptr) {
        return nullptr;
    }
    if constexpr (std::is_const_v<T>) {
        if (const X* value = entry->get_if<X>()) {
            return value;
        }
        if (const T* const* pointer = entry->get_if<T*>()) {
            return *pointer;
        }
        if (const auto* shared = entry->get_if<std::shared_ptr<T>>()) {
            return shared->get();
        }
    }
    if (X* const* pointer = entry->get_if<X*>()) {
        return *pointer;
    }
    if (const auto* shared = entry->get_if<std::shared_ptr<X>>()) {
        return shared->get();
    }
    throw_proxy_type(name, *entry->type, typeid(T));
}

} // namespace ctxvar::detail
