// ctxvar::ContextVar<T> and ctxvar::Token<T>: Python's contextvars.ContextVar and Token, whose
// value depends on the flow of control (thread, fiber, coroutine task) that reads it.
#pragma once

#include <ctxvar/detail/context_data.hpp>
#include <ctxvar/detail/token_state.hpp>
#include <ctxvar/errors.hpp>
#include <ctxvar/shared_value.hpp>

#include <concepts>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace ctxvar {

class Context;
template <class T>
class ContextVar;
template <class T>
class ScopedValue;

// Tag: a set that returns no token (ContextVar::set(no_token, value)), for values that will never
// be reset, such as the new top a LocalStack installs.
struct NoToken {
    explicit NoToken() = default;
};
inline constexpr NoToken no_token{};

// What ContextVar<T>::set returns: enough to undo that set with reset(). Python's Token.
// Move-only: a token is used once, and a copy could be used twice. A moved-from token counts
// as used.
template <class T>
class Token {
  public:
    Token(Token&& other) noexcept : state_(std::exchange(other.state_, {})) {}
    Token& operator=(Token&& other) noexcept {
        state_ = std::exchange(other.state_, {});
        return *this;
    }

    // The variable that made this token. Throws std::logic_error on a moved-from token.
    ContextVar<T> var() const;

    // The value the variable had before the set, or nullptr when it had none (Python's
    // Token.MISSING). Valid as long as the token lives.
    const T* old_value() const noexcept {
        return state_.old ? &detail::unbox<T>(*state_.old) : nullptr;
    }

    // Whether reset() has consumed this token (or it was moved from).
    bool used() const noexcept { return state_.used || !state_.var; }

  private:
    friend class ContextVar<T>;
    explicit Token(detail::TokenState state) noexcept : state_(std::move(state)) {}
    detail::TokenState state_;
};

// A variable whose value lives in the current context. A ContextVar is a handle: copies name
// the same variable, and variables are keyed by identity, never by name (two may share a name).
// Destroying the last handle is always safe: contexts that hold a value keep the variable alive.
//
// Values are immutable once set and shared by every context that holds them. A reference from
// get() (or get_if()) stays valid until this flow's current context object gets a new snapshot
// (a set or reset of any variable by any flow that has that object current) or the flow leaves
// the Context::run it was read in. Keep a copy (or a shared handle) for longer.
//
// Thread safety: any number of threads may use one ContextVar at once; each reads and writes its
// own current context. set() and reset() are const: they change the current context, never the
// variable, so a `const ContextVar` works like any other.
template <class T>
class ContextVar {
    static_assert(std::is_object_v<T> && !std::is_const_v<T> && !std::is_volatile_v<T> &&
                      !std::is_array_v<T>,
                  "ContextVar<T> needs a non-const, non-volatile object type that is not an array");

  public:
    using value_type = T;

    // A variable without a default: get() throws LookupError until it is set.
    explicit ContextVar(std::string name)
        : var_(detail::VarRef::adopt(new detail::VarData(std::move(name), typeid(T), {}))) {}

    // A variable with a default, constructed once from `default_value`.
    template <class U>
    requires std::constructible_from<T, U&&> ContextVar(std::string name, U&& default_value)
        : var_(detail::VarRef::adopt(new detail::VarData(
              std::move(name), typeid(T), detail::make_box<T>(std::forward<U>(default_value))))) {}

    // Copying or moving a handle names the same variable; a move is a copy, so a moved-from
    // ContextVar still works (no handle is ever left empty).
    ContextVar(const ContextVar&) noexcept = default;
    ContextVar(ContextVar&& other) noexcept : var_(other.var_) {}
    ContextVar& operator=(const ContextVar&) noexcept = default;
    ContextVar& operator=(ContextVar&& other) noexcept {
        var_ = other.var_;
        return *this;
    }

    const std::string& name() const noexcept { return var_->name; }

    // The value in the current context, else the default, else nullptr. Never throws, never
    // allocates; costs a call, a load of the thread's slot and one trie lookup.
    const T* get_if() const noexcept {
        if (const detail::ValueBox* value = detail::find_current(var_.get())) {
            return &detail::unbox<T>(*value);
        }
        return var_->default_value ? &detail::unbox<T>(*var_->default_value) : nullptr;
    }

    // The value in the current context, else the default; LookupError when neither exists.
    const T& get() const {
        if (const T* value = get_if()) {
            return *value;
        }
        detail::throw_lookup(*var_);
    }

    // Python's get(default): the value in the current context, else `fallback` (which wins over
    // the variable's own default, as in Python). By value.
    template <class U>
    requires std::copy_constructible<T> && std::constructible_from<T, U&&> T get_or(U&& fallback)
    const {
        if (const detail::ValueBox* value = detail::find_current(var_.get())) {
            return detail::unbox<T>(*value);
        }
        return T(std::forward<U>(fallback));
    }

    // Binds the variable to a new value in the current context and returns a token that undoes
    // it. Creates this flow's context object if it has none (as CPython does). Allocates the
    // value's box and at most the trie path to it; if anything throws (allocation, T's
    // constructor), the context is exactly as before.
    Token<T> set(const T& value) const requires std::copy_constructible<T> {
        return Token<T>(detail::set_value(var_, detail::make_box<T>(value)));
    }
    Token<T> set(T&& value) const requires std::move_constructible<T> {
        return Token<T>(detail::set_value(var_, detail::make_box<T>(std::move(value))));
    }
    // The same without a token: for a set that will never be reset. It saves the token's two
    // atomic reference-count updates on the variable (a set+reset pair costs the same either
    // way). The value is made from `value` (T's converting constructor included).
    template <class U = T>
    requires std::constructible_from<T, U&&>
    void set(NoToken, U&& value) const { emplace(no_token, std::forward<U>(value)); }
    // set(), constructing the value in place: for types that can be neither copied nor moved.
    template <class... Args>
    requires std::constructible_from<T, Args&&...> Token<T> emplace(Args&&... args)
    const {
        return Token<T>(detail::set_value(var_, detail::make_box<T>(std::forward<Args>(args)...)));
    }

    template <class... Args>
    requires std::constructible_from<T, Args&&...>
    void emplace(NoToken, Args&&... args) const {
        detail::assign_value(var_, detail::make_box<T>(std::forward<Args>(args)...));
    }

    // The value in the current context, else the default, as a shared handle to the very object
    // (empty when there is neither). Never allocates: one reference-count update.
    SharedValue<T> get_shared() const noexcept {
        const detail::ValueBox* value = detail::find_current(var_.get());
        if (value == nullptr) {
            value = var_->default_value.get();
        }
        return SharedValue<T>(detail::ValueRef::share(const_cast<detail::ValueBox*>(value)));
    }

    // set() of a value that already exists: the variable holds that very object, so nothing is
    // allocated but the trie path, and T is not copied. std::invalid_argument for an empty
    // handle, leaving everything as it was.
    Token<T> set(SharedValue<T> value) const {
        return Token<T>(detail::set_value(var_, shared_box(std::move(value))));
    }
    void set(NoToken, SharedValue<T> value) const {
        detail::assign_value(var_, shared_box(std::move(value)));
    }

    // Restores the value `token` recorded (or unsets the variable) in the current context.
    // Resets need not come in stack order. Throws, leaving everything as it was:
    // TokenReusedError when the token was used already (or moved from); TokenMismatchError when
    // another variable made it, or when it was made in another context object (identity: a
    // copy of that context does not match).
    void reset(Token<T>& token) const { detail::reset_value(*var_, token.state_); }
    void reset(Token<T>&& token) const { reset(token); }

    // Python 3.14's `with var.set(value):`: sets now, resets when the returned object goes out of
    // scope, on an exception too. See ScopedValue.
    template <class U = T>
    requires std::constructible_from<T, U&&>
    [[nodiscard]] ScopedValue<T> scoped(U&& value) const;

    // Identity: whether both handles name the same variable.
    friend bool operator==(const ContextVar& a, const ContextVar& b) noexcept {
        return a.var_.get() == b.var_.get();
    }

  private:
    friend class Context;
    friend class Token<T>;
    explicit ContextVar(detail::VarRef var) noexcept : var_(std::move(var)) {}
    const detail::VarData* data() const noexcept { return var_.get(); }
    detail::ValueRef shared_box(SharedValue<T>&& value) const {
        if (!value) {
            detail::throw_empty_shared_value(*var_);
        }
        return std::move(value.box_);
    }

    detail::VarRef var_;
};

// The result of ContextVar<T>::scoped(value): the value is set while this object lives. It can
// be neither copied nor moved, so it lives and dies in one scope of one flow. Its destructor
// does not throw: when the reset cannot happen (the token was reset by hand through token(), or
// the flow's current context is no longer the object the value was set in), it leaves
// everything as it is. One failure it cannot report: running out of memory while restoring a
// snapshot shared with another context calls std::terminate, as any throwing destructor does.
template <class T>
class [[nodiscard]] ScopedValue {
  public:
    ScopedValue(const ScopedValue&) = delete;
    ScopedValue& operator=(const ScopedValue&) = delete;
    ~ScopedValue() {
        if (!token_.used()) {
            try {
                var_.reset(token_);
            } catch (const TokenMismatchError&) {
                // Documented above: another context is current; nothing to undo here.
            }
        }
    }

    // The token of the set, for an explicit (checked, throwing) reset before scope exit.
    Token<T>& token() noexcept { return token_; }

  private:
    friend class ContextVar<T>;
    template <class U>
    ScopedValue(const ContextVar<T>& var, U&& value)
        : var_(var), token_(var_.emplace(std::forward<U>(value))) {}

    ContextVar<T> var_;
    Token<T> token_;
};

template <class T>
template <class U>
requires std::constructible_from<T, U&&> ScopedValue<T> ContextVar<T>::scoped(U&& value)
const {
    return ScopedValue<T>(*this, std::forward<U>(value));
}

template <class T>
ContextVar<T> Token<T>::var() const {
    if (!state_.var) {
        throw std::logic_error("ctxvar::Token::var: the token was moved from");
    }
    return ContextVar<T>(state_.var);
}

} // namespace ctxvar
