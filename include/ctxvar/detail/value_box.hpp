// ctxvar::detail::ValueBox: one stored value of a context variable, type-erased so that every
// variable's values fit in one trie. Immutable once made; shared by every snapshot holding it.
#pragma once

#include <ctxvar/detail/ref.hpp>

#include <concepts>
#include <utility>

namespace ctxvar::detail {

struct ValueBox;

// What a box of one type T knows how to do without knowing T at the call site.
struct BoxOps {
    void (*destroy)(const ValueBox*) noexcept;
    // Equal contents by T's ==; types without == are equal only to the very same box.
    bool (*equal)(const ValueBox&, const ValueBox&);
};

struct ValueBox : RefCounted {
    explicit ValueBox(const BoxOps* ops) noexcept : ops(ops) {}
    const BoxOps* ops;

    static void destroy(const ValueBox* box) noexcept { box->ops->destroy(box); }
};

using ValueRef = Ref<ValueBox>;

template <class T>
struct TypedBox final : ValueBox {
    template <class... Args>
    explicit TypedBox(std::in_place_t, Args&&... args)
        : ValueBox(&ops_for), value(std::forward<Args>(args)...) {}

    const T value;

    static void destroy_box(const ValueBox* box) noexcept {
        delete static_cast<const TypedBox*>(box);
    }
    static bool equal_boxes(const ValueBox& a, const ValueBox& b) {
        if constexpr (std::equality_comparable<T>) {
            return static_cast<const TypedBox&>(a).value == static_cast<const TypedBox&>(b).value;
        } else {
            return &a == &b;
        }
    }
    static constexpr BoxOps ops_for{&destroy_box, &equal_boxes};
};

// A new box holding T constructed from args. Throws what `new` or T's constructor throws.
template <class T, class... Args>
ValueRef make_box(Args&&... args) {
    return ValueRef::adopt(new TypedBox<T>(std::in_place, std::forward<Args>(args)...));
}

// The value in a box known to hold a T (the variable that keys it says so).
template <class T>
const T& unbox(const ValueBox& box) noexcept {
    return static_cast<const TypedBox<T>&>(box).value;
}

} // namespace ctxvar::detail
