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

namespace {

// Binds `var` to `value` in the current context, creating the flow's context object if it has
// none, and returns the value it displaced (null when the variable was unset) with the context
// it changed. The displaced value is handed back rather than destroyed here, so that no
// destructor of a user's type runs while the snapshot is half-changed. Strong guarantee.
ValueRef replace_value(const VarRef& var, ValueRef value, ContextData*& context) {
    context = current_context();
    if (context == nullptr) {
        // The flow's first set creates its context object (CPython's point of creation). The
        // snapshot is built first, so a failure leaves the flow without one, as before.
        Snapshot vars = Snapshot().set(var, std::move(value));
        context = create_context(std::move(vars));
        exchange_current(context);
        return {};
    }
    if (ValueRef* stored = context->find_owned(var.get())) {
        // An assignment on a path this context alone owns: the new value takes the old one's
        // place. Nothing allocated, no node copied, nothing freed.
        return std::exchange(*stored, std::move(value));
    }
    const ValueRef* stored = context->vars().find(var.get());
    ValueRef old = stored != nullptr ? *stored : ValueRef();
    // Rvalue set: nodes this context alone holds change in place; on a throw, nothing changed.
    context->update_vars(
        [&](Snapshot&& vars) { return std::move(vars).set(var, std::move(value)); });
    return old;
}

} // namespace

TokenState set_value(const VarRef& var, ValueRef value) {
    ContextData* context = nullptr;
    ValueRef old = replace_value(var, std::move(value), context);
    return TokenState{var, context->id, std::move(old), false};
}

void assign_value(const VarRef& var, ValueRef value) {
    ContextData* context = nullptr;
    const ValueRef displaced = replace_value(var, std::move(value), context);
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
