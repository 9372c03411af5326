// ctxvar::LocalStack<T>: Werkzeug's LocalStack, a stack per context (what Flask's request and
// application contexts were built on), pushed and popped in O(1) without copying.
#pragma once

#include <ctxvar/context_var.hpp>
#include <ctxvar/local_proxy.hpp>
#include <ctxvar/shared_value.hpp>

#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace ctxvar {

namespace detail {
// What a LocalProxy over a LocalStack<T> reaches by default: the pointee of a pointer-like T
// (Request for Request* or std::shared_ptr<Request>), else the immutable T itself.
template <class T>
struct stack_proxy_element {
    using type = const T;
};
template <class T>
struct stack_proxy_element<T*> {
    using type = T;
};
template <class T>
struct stack_proxy_element<std::shared_ptr<T>> {
    using type = T;
};
} // namespace detail

// A stack per context. Each context holds the top frame of an immutable linked list whose frames
// are shared: a push allocates one frame and a pop nothing (the variable is set back to the frame
// below, the very object it held before), neither copies an element or the stack, and a context
// copied before a push or pop keeps the stack it had (Werkzeug copies the whole list on every
// push instead). If a push's allocation (or a trie path a pop must copy) throws, the stack is as
// it was.
//
// Elements are immutable; keep a mutable object by pointer (T*, std::shared_ptr<T>). T must be
// copyable: pop() returns a copy, since a copied context may still hold the element.
//
// A LocalStack is a handle, like ContextVar: copies name the same stack storage; any number of
// threads may use one at once, each on its own current context. The mutators are const because
// they change the current context, not the handle. top()'s pointer lives as ContextVar::get()'s
// references do.
template <class T>
class LocalStack {
    static_assert(std::is_object_v<T> && !std::is_const_v<T> && !std::is_volatile_v<T> &&
                      !std::is_array_v<T>,
                  "LocalStack<T> needs a non-const, non-volatile object type that is not an array");
    static_assert(std::copy_constructible<T>,
                  "LocalStack<T> needs a copyable T: pop() returns a copy, since copied contexts "
                  "may share the element; keep move-only objects in a std::shared_ptr");

    // What the variable holds: the top element and the frame below it. The variable's default is
    // a frame of size 0, the bottom of every stack. Stacks compare equal when their elements do
    // (by T's ==, else by identity), as Python's lists do.
    struct Frame {
        explicit Frame(std::in_place_t) noexcept {} // the bottom: size 0, no value
        template <class... Args>
        Frame(SharedValue<Frame> below, std::in_place_t, Args&&... args)
            : value(std::in_place, std::forward<Args>(args)...), below(std::move(below)),
              size(this->below->size + 1) {}
        Frame(const Frame&) = delete;
        Frame& operator=(const Frame&) = delete;

        // Unlinks the run of frames only this one reaches, one at a time, so that dropping a
        // deep stack cannot overflow the (maybe small, fiber) stack by recursion.
        ~Frame() {
            SharedValue<Frame> next = std::move(below);
            while (next.unique()) {
                SharedValue<Frame> after = std::move(next->below);
                next = std::move(after);
            }
        }

        std::optional<T> value; // engaged unless this is the bottom
        // Mutable only so that the destructor above can unlink a frame nobody else holds.
        mutable SharedValue<Frame> below;
        std::size_t size = 0;

        friend bool operator==(const Frame& a, const Frame& b) {
            if (a.size != b.size) {
                return false;
            }
            for (const Frame *x = &a, *y = &b; x != y && x->size != 0;
                 x = x->below.get(), y = y->below.get()) {
                if constexpr (std::equality_comparable<T>) {
                    if (!(*x->value == *y->value)) {
                        return false;
                    }
                } else {
                    return false; // different frames of a type without ==
                }
            }
            return true;
        }
    };

  public:
    using value_type = T;

    // `name` names the ContextVar that holds the stack (visible when iterating a Context).
    explicit LocalStack(std::string name = "ctxvar.LocalStack")
        : storage_(std::move(name), std::in_place) {}

    // Pushes a T made from `value` in the current context; returns the new size (Werkzeug
    // returns the new list). Strong guarantee.
    template <class U = T>
    std::size_t push(U&& value) const requires std::constructible_from<T, U&&> {
        return emplace(std::forward<U>(value));
    }
    template <class... Args>
    std::size_t emplace(Args&&... args) const requires std::constructible_from<T, Args&&...> {
        SharedValue<Frame> below = storage_.get_shared();
        const std::size_t size = below->size + 1;
        storage_.emplace(no_token, std::move(below), std::in_place, std::forward<Args>(args)...);
        return size;
    }

    // Pops the top in the current context and returns it; an empty optional when the stack is
    // empty (never an error). The element is copied before the stack changes, so if the copy
    // throws, the stack is as it was.
    std::optional<T> pop() const {
        std::optional<T> popped; // one object returned on every path: copied once, never moved
        const Frame& top = this->top_frame();
        if (top.size != 0) {
            popped.emplace(*top.value);
            storage_.set(no_token, top.below);
        }
        return popped;
    }

    // The top element, or nullptr when the stack is empty. Never throws, never allocates.
    const T* top() const noexcept {
        const Frame& top = top_frame();
        return top.size != 0 ? &*top.value : nullptr;
    }

    std::size_t size() const noexcept { return top_frame().size; }
    bool empty() const noexcept { return size() == 0; }

    // Werkzeug's release_local: empties the stack in the current context (other contexts keep
    // theirs). Allocates nothing, and does nothing, when it is empty already; otherwise it
    // allocates an empty bottom frame (std::bad_alloc leaves the stack as it was).
    void release() const {
        if (!empty()) {
            storage_.emplace(no_token, std::in_place);
        }
    }

    // A proxy of the top (Werkzeug's `stack()`): by default of the pointee for a stack of
    // pointers (LocalStack<Request*> gives LocalProxy<Request>), else of the const element.
    template <class U = typename detail::stack_proxy_element<T>::type>
    LocalProxy<U> proxy(std::string unbound_message = detail::default_unbound_message) const {
        return LocalProxy<U>(*this, std::move(unbound_message));
    }

    // Identity: whether both handles name the same stack storage.
    friend bool operator==(const LocalStack& a, const LocalStack& b) noexcept {
        return a.storage_ == b.storage_;
    }

  private:
    // The variable always has a frame: its default is the empty bottom.
    const Frame& top_frame() const noexcept { return *storage_.get_if(); }

    ContextVar<Frame> storage_;
};

} // namespace ctxvar
