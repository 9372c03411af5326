// ctxvar::LocalStack<T>: Werkzeug's LocalStack, a stack per context (what Flask's request and
// application contexts were built on), pushed and popped in O(1) without copying.
#pragma once

#include <ctxvar/context_var.hpp>
#include <ctxvar/detail/ref.hpp>
#include <ctxvar/local_proxy.hpp>

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

// A stack per context. Each context holds a pointer to the top of an immutable linked list
// whose nodes are shared: push allocates one node and pop none, neither copies an element or
// the stack, and a context copied before a push or pop keeps the stack it had (Werkzeug copies
// the whole list on every push instead). push and pop also allocate the ContextVar's box for
// the new top; if that throws, the stack is as it was.
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

    struct Node : detail::RefCounted {
        template <class... Args>
        Node(detail::Ref<Node> below, Args&&... args)
            : value(std::forward<Args>(args)...), below(std::move(below)),
              size(this->below ? this->below->size + 1 : 1) {}

        const T value;
        detail::Ref<Node> below;
        const std::size_t size;

        // Frees the run of nodes that this release left unreferenced in a loop, so that dropping
        // a deep stack cannot overflow the (maybe small, fiber) stack.
        static void destroy(const Node* node) noexcept {
            while (node != nullptr) {
                const Node* next = const_cast<Node*>(node)->below.release_last();
                delete node;
                node = next;
            }
        }
    };

    // The value the ContextVar holds: the top node (null = empty). Stacks compare equal when
    // their elements do (by T's ==, else by identity), as Python's lists do.
    struct Top {
        detail::Ref<Node> node;

        friend bool operator==(const Top& a, const Top& b) {
            const Node* x = a.node.get();
            const Node* y = b.node.get();
            if (x == nullptr || y == nullptr || x->size != y->size) {
                return x == y;
            }
            if constexpr (std::equality_comparable<T>) {
                for (; x != y; x = x->below.get(), y = y->below.get()) {
                    if (!(x->value == y->value)) {
                        return false;
                    }
                }
            }
            return x == y;
        }
    };

  public:
    using value_type = T;

    // `name` names the ContextVar that holds the stack (visible when iterating a Context).
    explicit LocalStack(std::string name = "ctxvar.LocalStack") : storage_(std::move(name)) {}

    // Pushes a T made from `value` in the current context; returns the new size (Werkzeug
    // returns the new list). Strong guarantee.
    template <class U = T>
    std::size_t push(U&& value) const requires std::constructible_from<T, U&&> {
        return emplace(std::forward<U>(value));
    }
    template <class... Args>
    std::size_t emplace(Args&&... args) const requires std::constructible_from<T, Args&&...> {
        Top pushed{detail::Ref<Node>::adopt(new Node(top_node(), std::forward<Args>(args)...))};
        const std::size_t size = pushed.node->size;
        storage_.set(no_token, std::move(pushed));
        return size;
    }

    // Pops the top in the current context and returns it; an empty optional when the stack is
    // empty (never an error). The element is copied before the stack changes, so if the copy
    // or the allocation throws, the stack is as it was.
    std::optional<T> pop() const {
        std::optional<T> popped; // one object returned on every path: copied once, never moved
        const Top* top = storage_.get_if();
        if (top != nullptr && top->node) {
            popped.emplace(top->node->value);
            storage_.set(no_token, Top{top->node->below});
        }
        return popped;
    }

    // The top element, or nullptr when the stack is empty. Never throws, never allocates.
    const T* top() const noexcept {
        const Top* top = storage_.get_if();
        return top != nullptr && top->node ? &top->node->value : nullptr;
    }

    std::size_t size() const noexcept {
        const Top* top = storage_.get_if();
        return top != nullptr && top->node ? top->node->size : 0;
    }
    bool empty() const noexcept { return top() == nullptr; }

    // Werkzeug's release_local: empties the stack in the current context (other contexts keep
    // theirs). Allocates nothing, and does nothing, when it is empty already.
    void release() const {
        if (!empty()) {
            storage_.set(no_token, Top{});
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
    detail::Ref<Node> top_node() const noexcept {
        const Top* top = storage_.get_if();
        return top != nullptr ? top->node : detail::Ref<Node>();
    }

    ContextVar<Top> storage_;
};

} // namespace ctxvar
