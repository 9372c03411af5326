// ctxvar::LocalProxy<T>: Werkzeug's LocalProxy, an object that forwards every use to whatever
// its source holds in the current context (Flask's `request`, `g`, `current_app`).
#pragma once

#include <ctxvar/context_var.hpp>
#include <ctxvar/detail/proxy_target.hpp>
#include <ctxvar/errors.hpp>

#include <concepts>
#include <functional>
#include <memory>
#include <ostream>
#include <ranges>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace ctxvar {

class Local;
template <class T>
class LocalStack;
template <class T>
class LocalProxy;

namespace detail {

inline constexpr const char* default_unbound_message = "object is not bound";

template <class X>
inline constexpr bool is_local_proxy = false;
template <class T>
inline constexpr bool is_local_proxy<LocalProxy<T>> = true;

template <class X>
concept not_a_proxy = !is_local_proxy<std::remove_cvref_t<X>>;

// An operand as a forwarded operator uses it: a proxy's current object, anything else as is.
template <class X>
decltype(auto) unwrap(X&& x) {
    if constexpr (is_local_proxy<std::remove_cvref_t<X>>) {
        return x.get();
    } else {
        return std::forward<X>(x);
    }
}

// What a proxy shares among its copies: the message and the source (a handle or a callable).
struct ProxyState {
    std::string unbound_message;
};
template <class Resolve>
struct ProxyStateOf : ProxyState {
    ProxyStateOf(std::string message, Resolve r)
        : ProxyState{std::move(message)}, resolve(std::move(r)) {}
    Resolve resolve;
};

[[noreturn]] void throw_unbound(const ProxyState& state);

// Ways of calling a proxy's callable source: returning T& (always bound), T* (nullptr =
// unbound), or a reference to a pointer-like value that outlives the call.
template <class T, class F>
T* callable_target(const F& f) {
    if constexpr (std::is_lvalue_reference_v<std::invoke_result_t<const F&>>) {
        auto& result = std::invoke(f);
        if constexpr (std::is_convertible_v<decltype(&result), T*>) {
            return &result;
        } else {
            return proxy_target<T>(result);
        }
    } else {
        return proxy_target<T>(std::invoke(f));
    }
}

} // namespace detail

// A proxy forwards to the object its source holds in the current context, looked up afresh on
// every use, so one global proxy serves every thread, fiber and coroutine task at once. Sources:
//   LocalProxy<Request> request{stack};                 // the top of a LocalStack
//   LocalProxy<User> user{local, "user"};               // a name of a Local
//   LocalProxy<Request> req{request_var, "Working outside of request context."};
//   LocalProxy<Config> config{[] { return &load_config(); }}; // any callable
// Each constructor is constrained on its source giving a T, so a mismatch is a compile error.
// The source holds either the object (then T must be const: stored values are immutable) or a
// pointer-like value (T*, std::shared_ptr<T>, std::unique_ptr<T>, std::optional<T>), whose
// pointee the proxy reaches, so a mutable request object can be changed through the proxy.
// A Local's name is matched by its stored type at run time: T (for a const T), T*, const T*,
// std::shared_ptr<T> or std::shared_ptr<const T>; another type throws std::invalid_argument
// naming both. A callable is called as const and returns T&, T* or a reference to a
// pointer-like value; nullptr means unbound.
//
// Unbound (no value, an empty stack, a missing name, a null pointer): get(), *, ->, and every
// forwarded operator throw UnboundError with the unbound message ("object is not bound" by
// default). is_bound(), get_if() and printing ("<LocalProxy unbound>") do not.
//
// Forwarded: get() (Werkzeug's _get_current_object), *, ->, ==, !=, <, <=, >, >=, <=>, the
// arithmetic and bitwise operators on either side (shifts on the left only, since
// `out << proxy` prints), compound assignments, ++/--, unary -, +, ~ and !, the call operator,
// subscripts, begin()/end() for range-for, and `out << proxy`. Assignment is not forwarded:
// `proxy = x` rebinds nothing and does not compile; write `*proxy = x`.
//
// The object lives as ContextVar::get()'s references do: until the current context's snapshot
// changes or the flow leaves the run() it was read in; keep T& and T* no longer. A proxy is a
// handle: copies share one source, and any thread may use one proxy at once.
template <class T>
class LocalProxy {
    static_assert(std::is_object_v<T> && !std::is_volatile_v<T> && !std::is_array_v<T>,
                  "LocalProxy<T> needs an object type that is neither volatile nor an array");

  public:
    using element_type = T;

    // The value of `var` in the current context (its default included).
    template <class S>
    requires detail::reaches<S, T> LocalProxy(const ContextVar<S>& var,
                                              std::string unbound_message = default_message()) {
        bind(std::move(unbound_message), [var]() noexcept -> T* {
            const S* stored = var.get_if();
            return stored != nullptr ? detail::proxy_target<T>(*stored) : nullptr;
        });
    }

    // The top of `stack` in the current context.
    template <class S>
    requires detail::reaches<S, T> LocalProxy(const LocalStack<S>& stack,
                                              std::string unbound_message = default_message()) {
        bind(std::move(unbound_message), [stack]() noexcept -> T* {
            const S* stored = stack.top();
            return stored != nullptr ? detail::proxy_target<T>(*stored) : nullptr;
        });
    }

    // The value named `name` in `local` (Werkzeug's `local("name")`). Matched by stored type as
    // described above.
    template <std::same_as<Local> L>
    LocalProxy(const L& local, std::string name, std::string unbound_message = default_message()) {
        bind(std::move(unbound_message), [local, name = std::move(name)] {
            return detail::local_proxy_target<T>(local.find(name), name);
        });
    }

    // Whatever `f()` returns on each use (called as const; see above).
    template <class F>
    requires detail::not_a_proxy<F> && detail::callable_source<F, T>
    LocalProxy(F f, std::string unbound_message = default_message()) {
        bind(std::move(unbound_message),
             [f = std::move(f)] { return detail::callable_target<T>(f); });
    }

    // Copies share the source; a move is a copy, so no proxy is ever left without one.
    LocalProxy(const LocalProxy&) noexcept = default;
    LocalProxy(LocalProxy&& other) noexcept : state_(other.state_), resolve_(other.resolve_) {}
    LocalProxy& operator=(const LocalProxy&) noexcept = default;
    LocalProxy& operator=(LocalProxy&& other) noexcept { return *this = std::as_const(other); }

    // The current object, or nullptr when unbound. Throws only what the source throws (a
    // Local's name of a type this proxy cannot use; a callable's own exceptions).
    T* get_if() const { return resolve_(state_.get()); }
    bool is_bound() const { return get_if() != nullptr; }

    // The current object; UnboundError when there is none.
    T& get() const {
        if (T* object = get_if()) {
            return *object;
        }
        detail::throw_unbound(*state_);
    }
    T& operator*() const { return get(); }
    T* operator->() const { return &get(); }

    const std::string& unbound_message() const noexcept { return state_->unbound_message; }

    template <class... Args>
    requires std::invocable<T&, Args&&...>
    decltype(auto) operator()(Args&&... args) const {
        return std::invoke(get(), std::forward<Args>(args)...);
    }

    template <class K>
    decltype(auto) operator[](K&& key) const requires requires(T& t) {
        t[std::forward<K>(key)];
    }
    { return get()[std::forward<K>(key)]; }

    auto begin() const requires std::ranges::range<T&> { return std::ranges::begin(get()); }
    auto end() const requires std::ranges::range<T&> { return std::ranges::end(get()); }

    // The current object as T prints it, "<LocalProxy unbound>" when unbound (never throws
    // UnboundError), or "<LocalProxy bound>" for a T that cannot be printed.
    friend std::ostream& operator<<(std::ostream& out, const LocalProxy& proxy) {
        const T* object = proxy.get_if();
        if (object == nullptr) {
            return out << "<LocalProxy unbound>";
        }
        if constexpr (requires { out << *object; }) {
            return out << *object;
        } else {
            return out << "<LocalProxy bound>";
        }
    }

// Forwarded operators apply op to the current objects: `proxy op x` and `proxy op other_proxy`
// (the _LEFT form), and also `x op proxy` (the full form).
#define CTXVAR_PROXY_BINARY_LEFT(op)                                                               \
    template <class R>                                                                             \
    friend auto operator op(const LocalProxy& p, R&& r)                                            \
        ->decltype(p.get() op detail::unwrap(std::forward<R>(r))) {                                \
        return p.get() op detail::unwrap(std::forward<R>(r));                                      \
    }
#define CTXVAR_PROXY_BINARY(op)                                                                    \
    CTXVAR_PROXY_BINARY_LEFT(op)                                                                   \
    template <detail::not_a_proxy L>                                                               \
    friend auto operator op(L&& l, const LocalProxy& p)->decltype(std::forward<L>(l) op p.get()) { \
        return std::forward<L>(l) op p.get();                                                      \
    }
#define CTXVAR_PROXY_UNARY(op)                                                                     \
    friend decltype(auto) operator op(const LocalProxy& p) requires requires(T & t) {              \
        op t;                                                                                      \
    }                                                                                              \
    { return op p.get(); }

    CTXVAR_PROXY_BINARY(==)
    CTXVAR_PROXY_BINARY(!=)
    CTXVAR_PROXY_BINARY(<)
    CTXVAR_PROXY_BINARY(<=)
    CTXVAR_PROXY_BINARY(>)
    CTXVAR_PROXY_BINARY(>=)
    CTXVAR_PROXY_BINARY_LEFT(<=>)
    CTXVAR_PROXY_BINARY(+)
    CTXVAR_PROXY_BINARY(-)
    CTXVAR_PROXY_BINARY(*)
    CTXVAR_PROXY_BINARY(/)
    CTXVAR_PROXY_BINARY(%)
    CTXVAR_PROXY_BINARY(&)
    CTXVAR_PROXY_BINARY(|)
    CTXVAR_PROXY_BINARY(^)
    CTXVAR_PROXY_BINARY_LEFT(<<)
    CTXVAR_PROXY_BINARY_LEFT(>>)
    CTXVAR_PROXY_BINARY_LEFT(+=)
    CTXVAR_PROXY_BINARY_LEFT(-=)
    CTXVAR_PROXY_BINARY_LEFT(*=)
    CTXVAR_PROXY_BINARY_LEFT(/=)
    CTXVAR_PROXY_BINARY_LEFT(%=)
    CTXVAR_PROXY_BINARY_LEFT(&=)
    CTXVAR_PROXY_BINARY_LEFT(|=)
    CTXVAR_PROXY_BINARY_LEFT(^=)
    CTXVAR_PROXY_BINARY_LEFT(<<=)
    CTXVAR_PROXY_BINARY_LEFT(>>=)
    CTXVAR_PROXY_UNARY(-)
    CTXVAR_PROXY_UNARY(+)
    CTXVAR_PROXY_UNARY(~)
    CTXVAR_PROXY_UNARY(!)
    CTXVAR_PROXY_UNARY(++)
    CTXVAR_PROXY_UNARY(--)
#undef CTXVAR_PROXY_UNARY
#undef CTXVAR_PROXY_BINARY
#undef CTXVAR_PROXY_BINARY_LEFT

    friend auto operator++(const LocalProxy& p, int) requires requires(T& t) {
        t++;
    }
    { return p.get()++; }
    friend auto operator--(const LocalProxy& p, int) requires requires(T& t) {
        t--;
    }
    { return p.get()--; }

  private:
    static std::string default_message() {
        return detail::default_unbound_message;
    }

    template <class Resolve>
    void bind(std::string unbound_message, Resolve resolve) {
        using State = detail::ProxyStateOf<Resolve>;
        state_ = std::make_shared<const State>(std::move(unbound_message), std::move(resolve));
        resolve_ = [](const detail::ProxyState* state) -> T* {
            return static_cast<const State*>(state)->resolve();
        };
    }

    std::shared_ptr<const detail::ProxyState> state_;
    T* (*resolve_)(const detail::ProxyState*) = nullptr;
};

} // namespace ctxvar
