// ctxvar::detail::ContextData: the context object a Context handle points to, and the thread's
// current-context slot that the core library defines once for the whole process.
#pragma once

#include <ctxvar/detail/hamt/map.hpp>
#include <ctxvar/detail/value_box.hpp>
#include <ctxvar/detail/var_data.hpp>

#include <atomic>
#include <cstdint>

namespace ctxvar::detail {

// A context's contents: variable -> boxed value, immutable and shared between snapshots.
using Snapshot = hamt::Map<VarRef, ValueRef, VarHash, VarEqual>;

struct ContextData {
    static constexpr std::uint64_t entered_bit = 1;
    static constexpr std::uint64_t one_ref = 2;

    explicit ContextData(Snapshot vars, std::uint64_t id) noexcept
        : vars(std::move(vars)), id(id) {}

    // Bit 0: entered (inside Context::run, in any flow on any thread); the rest: references
    // times two. One word, so entering takes a reference and sets the bit in one atomic step:
    // the object stays alive while entered even if every handle to it goes.
    std::atomic<std::uint64_t> state{one_ref};
    Snapshot vars;
    const std::uint64_t id; // unique in the process; a token remembers the one it was made in
};

// --- Defined in the core library (lib/), once per process -----------------------------------

// A new context object over `vars`, with one reference. Throws std::bad_alloc.
ContextData* create_context(Snapshot vars);
void destroy_context(ContextData* context) noexcept;

inline void retain(ContextData* context) noexcept {
    context->state.fetch_add(ContextData::one_ref, std::memory_order_relaxed);
}
inline void release(ContextData* context) noexcept {
    // The sole owner of an object that is not entered frees it without an atomic write.
    if (context != nullptr &&
        (context->state.load(std::memory_order_acquire) == ContextData::one_ref ||
         context->state.fetch_sub(ContextData::one_ref, std::memory_order_acq_rel) ==
             ContextData::one_ref)) {
        destroy_context(context);
    }
}

// This thread's current context object, or nullptr when its flow has none yet. Out of line on
// purpose: a fiber that migrates threads inside a caller must not read a thread-local address
// computed before the switch (DESIGN.md, "TLS address caching").
ContextData* current_context() noexcept;

// Installs `next` as this thread's current context and returns the previous one. The slot owns
// one reference to what it holds: ownership of `next` passes to the slot, and the caller owns
// the returned pointer. Never allocates, never touches a reference count.
ContextData* exchange_current(ContextData* next) noexcept;

// Context::run's two halves. `enter` sets the entered bit and takes a reference in one step
// (throws ContextEnteredError when already entered anywhere), installs `context`, and returns
// the previous current context; `exit` puts `previous` back and drops the bit and reference.
ContextData* enter(ContextData* context);
void exit(ContextData* context, ContextData* previous) noexcept;

// The current context, created (empty) when this flow has none: what copy_context() needs.
ContextData& current_or_create();

// Same variables with equal values (by each value type's ==).
bool equal_contents(const Snapshot& a, const Snapshot& b);

// The value the current context holds for `var`, or nullptr. Inline: the fast path of get().
inline const ValueBox* find_current(const VarData* var) noexcept {
    const ContextData* context = current_context();
    if (context == nullptr) {
        return nullptr;
    }
    const ValueRef* value = context->vars.find(var);
    return value != nullptr ? value->get() : nullptr;
}

} // namespace ctxvar::detail
