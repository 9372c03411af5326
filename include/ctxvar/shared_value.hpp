// ctxvar::SharedValue<T>: a value the way contexts store it (immutable, reference-counted, shared
// by every context that holds it), as a handle a program can keep and set again.
#pragma once

#include <ctxvar/detail/value_box.hpp>

#include <atomic>
#include <concepts>
#include <utility>

namespace ctxvar {

template <class T>
class ContextVar;

// What a context holds for a ContextVar<T>, as a handle. ContextVar::get_shared() hands out the
// very object a context holds, and ContextVar::set(shared) stores that object again without
// allocating it or copying T: Python's `var.set(obj)` of an object another context holds, and how
// LocalStack pops in O(1) with no allocation. Copies share the object; it lives while any handle
// or context holds it. Any thread may use a SharedValue (the count is atomic; T is never changed).
template <class T>
class SharedValue {
  public:
    // An empty handle.
    SharedValue() noexcept = default;

    // A new value made from `args`: one allocation.
    template <class... Args>
    requires std::constructible_from<T, Args&&...>
    static SharedValue make(Args&&... args) {
        return SharedValue(detail::make_box<T>(std::forward<Args>(args)...));
    }

    const T* get() const noexcept { return box_ ? &detail::unbox<T>(*box_) : nullptr; }
    const T& operator*() const noexcept { return *get(); }
    const T* operator->() const noexcept { return get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(box_); }

    // Whether this handle is the only holder of its object (no context and no other handle has
    // it): then nobody else can observe the object. False when empty.
    bool unique() const noexcept { return box_ && box_->refs.load(std::memory_order_acquire) == 1; }

    // Identity: both handles hold the same object (or both are empty).
    friend bool operator==(const SharedValue& a, const SharedValue& b) noexcept {
        return a.box_.get() == b.box_.get();
    }

  private:
    friend class ContextVar<T>;
    explicit SharedValue(detail::ValueRef box) noexcept : box_(std::move(box)) {}

    detail::ValueRef box_;
};

} // namespace ctxvar
