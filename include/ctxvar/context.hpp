// ctxvar::Context and ctxvar::copy_context(): Python's contextvars.Context, a handle to a context
// object that holds an immutable snapshot of variables and can be entered with run().
#pragma once

#include <ctxvar/context_var.hpp>
#include <ctxvar/detail/context_data.hpp>
#include <ctxvar/detail/item_iterator.hpp>
#include <ctxvar/errors.hpp>

#include <cstddef>
#include <functional>
#include <iterator>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace ctxvar {

namespace detail {
// Enters a context for the lifetime of this object (the body of Context::run).
class EnteredScope {
  public:
    explicit EnteredScope(ContextData* context) : context_(context), previous_(enter(context)) {}
    EnteredScope(const EnteredScope&) = delete;
    EnteredScope& operator=(const EnteredScope&) = delete;
    ~EnteredScope() { exit(context_, previous_); }

  private:
    ContextData* context_;
    ContextData* previous_;
};

[[noreturn]] void throw_moved_from_context();
[[noreturn]] void throw_item_type(const VarData& var, const std::type_info& requested);
} // namespace detail

// A context object handle. Copying the handle shares the object (Python's `b = a`); copy()
// makes a new object with the same contents in O(1). A moved-from handle may only be assigned
// to or destroyed; anything else throws std::logic_error.
//
// Thread safety: a context object is changed only by the flow that has it current. Reading it
// (the mapping view, copy()) from another thread while its owner sets variables is a data race,
// as with any standard container: hand snapshots across threads with copy_context() instead.
// run() itself is safe from any thread: a context entered anywhere refuses a second entry.
class Context {
  public:
    // Python's Context(): a new, empty context object. Allocates.
    Context() : data_(detail::create_context({})) {}
    Context(const Context& other) noexcept : data_(other.data_) {
        if (data_ != nullptr) {
            detail::retain(data_);
        }
    }
    Context(Context&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}
    Context& operator=(Context other) noexcept {
        std::swap(data_, other.data_);
        return *this;
    }
    ~Context() { detail::release(data_); }

    // A new context object with the same variables and values: O(1), one allocation.
    [[nodiscard]] Context copy() const { return Context(detail::create_context(data().vars())); }

    // Enters this context, calls f(args...), and exits, also when f throws; returns what f
    // returns (void, references and move-only types included). Sets made inside stay in this
    // context object. Throws ContextEnteredError, before calling f, when the object is already
    // entered anywhere: recursively, by another flow on this thread, or by another thread.
    template <class F, class... Args>
    decltype(auto) run(F&& f, Args&&... args) const {
        detail::EnteredScope entered(&data());
        return std::invoke(std::forward<F>(f), std::forward<Args>(args)...);
    }

    // --- The mapping view. Like Python's, it ignores variables' defaults. ---

    std::size_t size() const { return data().vars().size(); }
    bool empty() const { return size() == 0; }

    template <class T>
    bool contains(const ContextVar<T>& var) const {
        return data().vars().contains(var.data());
    }
    // The value this context holds for `var`, or nullptr. Lives as get()'s result does.
    template <class T>
    const T* get(const ContextVar<T>& var) const {
        const detail::ValueRef* value = data().vars().find(var.data());
        return value != nullptr ? &detail::unbox<T>(**value) : nullptr;
    }
    // The same, throwing LookupError (Python's KeyError) when `var` is not set here.
    template <class T>
    const T& at(const ContextVar<T>& var) const {
        if (const T* value = get(var)) {
            return *value;
        }
        detail::throw_lookup(*var.data());
    }

    // One (variable, value) pair of the mapping, as iteration yields it.
    class Item {
      public:
        const std::string& name() const noexcept { return entry_->first->name; }
        const std::type_info& type() const noexcept { return *entry_->first->type; }
        template <class T>
        bool is(const ContextVar<T>& var) const noexcept {
            return entry_->first.get() == var.data();
        }
        // The value, when it is a T; nullptr otherwise.
        template <class T>
        const T* get_if() const noexcept {
            using Stored = std::remove_cv_t<T>; // values are stored as ContextVar<Stored>'s
            return type() == typeid(Stored) ? &detail::unbox<Stored>(*entry_->second) : nullptr;
        }
        // The value, when it is a T; std::invalid_argument naming both types otherwise.
        template <class T>
        const T& get() const {
            if (const T* value = get_if<T>()) {
                return *value;
            }
            detail::throw_item_type(*entry_->first, typeid(T));
        }

      private:
        friend class detail::ItemIterator<Item, detail::Snapshot::const_iterator>;
        explicit Item(const std::pair<detail::VarRef, detail::ValueRef>& entry) noexcept
            : entry_(&entry) {}
        const std::pair<detail::VarRef, detail::ValueRef>* entry_;
    };

    // Visits each (variable, value) once, in an unspecified order. Never allocates. Iterators
    // and items live as get()'s pointers do: until this context object's snapshot changes (a
    // set or reset by a flow that has it current), so do not set variables while iterating it.
    using iterator = detail::ItemIterator<Item, detail::Snapshot::const_iterator>;
    iterator begin() const { return iterator(data().vars().begin()); }
    iterator end() const { return iterator(data().vars().end()); }

    // Same variables with equal values (each compared with its type's ==; values of a type
    // without == are equal only to themselves). Python's Context ==.
    friend bool operator==(const Context& a, const Context& b) {
        return detail::equal_contents(a.data().vars(), b.data().vars());
    }
    // Identity: both handles share one context object (Python's `is`).
    bool is(const Context& other) const noexcept { return data_ == other.data_; }

  private:
    friend Context copy_context();
    friend class SavedContext;
    friend class ContextEntry;
    explicit Context(detail::ContextData* adopted) noexcept : data_(adopted) {}

    detail::ContextData& data() const {
        if (data_ == nullptr) {
            detail::throw_moved_from_context();
        }
        return *data_;
    }

    detail::ContextData* data_;
};

// A new context object with the current context's contents: O(1), one allocation (two the
// first time a flow without a context object calls it, as CPython creates the flow's own).
[[nodiscard]] inline Context copy_context() {
    return Context(detail::create_context(detail::current_or_create().vars()));
}

} // namespace ctxvar
