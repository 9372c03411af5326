// ctxvar::detail::TokenState: what a Token<T> records, and the type-erased set and reset that
// ContextVar<T> calls (compiled once, in the core library).
#pragma once

#include <ctxvar/detail/value_box.hpp>
#include <ctxvar/detail/var_data.hpp>

#include <cstdint>
#include <string>

namespace ctxvar::detail {

struct TokenState {
    VarRef var;                   // null only in a moved-from token
    std::uint64_t context_id = 0; // ContextData::id of the object the token was made in
    ValueRef old;                 // the value before the set; null = Token.MISSING
    bool used = false;
};

// Binds `var` to `value` in the current context (creating the flow's context object if it has
// none) and returns the token. Strong guarantee: if it throws, nothing changed.
TokenState set_value(const VarRef& var, ValueRef value);

// The same without a token (ContextVar::set(no_token, ...)): no reference to `var` is taken.
void assign_value(const VarRef& var, ValueRef value);

// Checks `token` in CPython's order (used, then variable, then context: TokenReusedError,
// TokenMismatchError) and restores the value it recorded. Strong guarantee.
void reset_value(const VarData& var, TokenState& token);

// "<Token var=<ContextVar name='x'>>", "<Token used var=...>".
std::string token_repr(const TokenState& token);

[[noreturn]] void throw_lookup(const VarData& var);
[[noreturn]] void throw_empty_shared_value(const VarData& var);

} // namespace ctxvar::detail
