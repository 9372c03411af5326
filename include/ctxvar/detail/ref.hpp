// ctxvar::detail::Ref: an owning pointer to an intrusively counted object, shared across
// threads. The core's variables and stored values are held through it.
#pragma once

#include <atomic>
#include <cstddef>
#include <utility>

namespace ctxvar::detail {

// The count an object starts with; Ref::adopt takes that first reference over.
struct RefCounted {
    mutable std::atomic<std::size_t> refs{1};
};

// T derives from RefCounted and has `static void destroy(const T*) noexcept`. Copies add a
// reference (relaxed: a new reference is made from an existing one); the last release frees
// (acquire-release, so every write made through other references happens before the free).
template <class T>
class Ref {
  public:
    Ref() noexcept = default;
    Ref(const Ref& other) noexcept : p_(other.p_) { retain(p_); }
    Ref(Ref&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
    Ref& operator=(Ref other) noexcept {
        std::swap(p_, other.p_);
        return *this;
    }
    ~Ref() { release(p_); }

    // Takes over the reference the caller holds (a new object's first one).
    static Ref adopt(T* p) noexcept {
        Ref r;
        r.p_ = p;
        return r;
    }
    // Adds a reference to an object someone else keeps alive.
    static Ref share(T* p) noexcept {
        retain(p);
        return adopt(p);
    }

    T* get() const noexcept { return p_; }
    T& operator*() const noexcept { return *p_; }
    T* operator->() const noexcept { return p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }

  private:
    static void retain(T* p) noexcept {
        if (p != nullptr) {
            p->refs.fetch_add(1, std::memory_order_relaxed);
        }
    }
    static void release(T* p) noexcept {
        // The sole owner frees without an atomic write: nobody else can add a reference.
        if (p != nullptr && (p->refs.load(std::memory_order_acquire) == 1 ||
                             p->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)) {
            T::destroy(p);
        }
    }

    T* p_ = nullptr;
};

} // namespace ctxvar::detail
