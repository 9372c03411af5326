// ContextVar's set and reset, type-erased: binding a boxed value in the current context and
// undoing it with a token, with CPython's checks and messages.
#include <ctxvar/detail/context_data.hpp>
#include <ctxvar/detail/token_state.hpp>
#include <ctxvar/errors.hpp>

#include <string>
#include <utility>

namespace ctxvar::detail {

std::string token_repr(const TokenState& token) {
    if (!token.var) {
        return "<Token moved-from>";
    }
    return std::string(token.used ? "<Token used var=" : "<Token var=") + var_repr(*token.var) +
           ">";
}

TokenState set_value(const VarRef& var, ValueRef value) {
    ContextData* context = current_context();
    if (context == nullptr) {
        // The flow's first set creates its context object (CPython's point of creation). The
        // snapshot is built first, so a failure leaves the flow without one, as before.
        Snapshot vars = Snapshot().set(var, std::move(value));
        context = create_context(std::move(vars));
        exchange_current(context);
        return TokenState{var, context->id, {}, false};
    }
    if (ValueRef* stored = context->find_owned(var.get())) {
        // An assignment on a path this context alone owns: the old value moves into the token
        // and the new one takes its place. Nothing allocated, no node copied, nothing freed.
        return TokenState{var, context->id, std::exchange(*stored, std::move(value)), false};
    }
    // The token holds the old value, so the update below destroys no value: no destructor of
    // a user's type runs while the snapshot is half-changed.
    const ValueRef* old = context->vars().find(var.get());
    TokenState token{var, context->id, old != nullptr ? *old : ValueRef(), false};
    // Rvalue set: nodes this context alone holds change in place; on a throw, nothing changed.
    context->update_vars(
        [&](Snapshot&& vars) { return std::move(vars).set(var, std::move(value)); });
    return token;
}

void reset_value(const VarData& var, TokenState& token) {
    if (token.used || !token.var) {
        throw TokenReusedError(token_repr(token) + " has already been used once");
    }
    if (token.var.get() != &var) {
        throw TokenMismatchError(token_repr(token) + " was created by a different ContextVar");
    }
    ContextData* context = current_context();
    if (context == nullptr || context->id != token.context_id) {
        throw TokenMismatchError(token_repr(token) + " was created in a different Context");
    }
    // The value being replaced is kept until the snapshot is whole again: it may be the last
    // reference to a user's object, whose destructor may read context variables.
    if (token.old) {
        if (ValueRef* stored = context->find_owned(token.var.get())) {
            const ValueRef displaced = std::exchange(*stored, token.old);
            token.used = true;
            return;
        }
    }
    const ValueRef* current = context->vars().find(token.var.get());
    const ValueRef displaced = current != nullptr ? *current : ValueRef();
    context->update_vars([&](Snapshot&& vars) {
        return token.old ? std::move(vars).set(token.var, token.old)
                         : std::move(vars).erase(token.var);
    });
    token.used = true;
}

} // namespace ctxvar::detail
