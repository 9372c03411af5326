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

class ContextData {
  public:
    static constexpr std::uint64_t entered_bit = 1;
    static constexpr std::uint64_t one_ref = 2;
    using Entry = Snapshot::value_type;

    explicit ContextData(Snapshot vars, std::uint64_t id) noexcept
        : vars_(std::move(vars)), id(id) {}

    const Snapshot& vars() const noexcept { return vars_; }

    // The value bound to `var`, or nullptr. The last lookups are cached per object (one slot
    // per variable hash), so a variable read again costs one compare whatever the size of the
    // snapshot. Slots are atomic (relaxed) because two threads may read one object that both
    // have current (a shared SavedContext); a write to the snapshot never races a read (only
    // the flow that has the object current writes, DESIGN.md), so a slot never outlives it.
    const ValueBox* find(const VarData* var) const noexcept {
        const Entry* cached = cache_[cache_index(var)].load(std::memory_order_relaxed);
        if (cached != nullptr && cached->first.get() == var) [[likely]] {
            return cached->second.get();
        }
        return find_and_cache(var);
    }

    // The stored value of `var` for assigning where it is, when this object alone reaches the
    // trie path to it (see hamt::Map::find_owned), else nullptr. Cached lookups stay valid: they
    // point at the entry, which stays where it is.
    ValueRef* find_owned(const VarData* var) noexcept { return vars_.find_owned(var); }

    // Replaces the snapshot with update(std::move(snapshot)), e.g. an rvalue Map::set, and
    // forgets cached lookups (before, so that nothing the update frees is reachable from a
    // slot; and after, for lookups made while it ran). `update` takes a Snapshot&& and leaves
    // it as it was if it throws (as the rvalue Map operations do): then nothing changed.
    template <class Update>
    void update_vars(Update&& update) {
        forget_cached();
        vars_ = std::forward<Update>(update)(std::move(vars_));
        forget_cached();
    }

    // Bit 0: entered (inside Context::run, in any flow on any thread); the rest: references
    // times two. One word, so entering takes a reference and sets the bit in one atomic step:
    // the object stays alive while entered even if every handle to it goes.
    std::atomic<std::uint64_t> state{one_ref};

  private:
    static constexpr unsigned cache_bits = 3;
    static unsigned cache_index(const VarData* var) noexcept {
        return static_cast<unsigned>(mixed_address(var) >> (64 - cache_bits));
    }
    const ValueBox* find_and_cache(const VarData* var) const noexcept;
    void forget_cached() noexcept {
        if (cache_used_.load(std::memory_order_relaxed)) {
            for (auto& slot : cache_) {
                slot.store(nullptr, std::memory_order_relaxed);
            }
            cache_used_.store(false, std::memory_order_relaxed);
        }
    }

    Snapshot vars_;
    mutable std::atomic<const Entry*> cache_[1u << cache_bits] = {};
    mutable std::atomic<bool> cache_used_{false};

  public:
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

// Calls to the library's slot functions go through the GOT rather than a PLT stub.
#if defined(__GNUC__) && !defined(__clang__) && defined(__ELF__)
#define CTXVAR_NOPLT [[gnu::noplt]]
#else
#define CTXVAR_NOPLT
#endif

// The thread's current-context slot: one thread_local in the library, the C symbol
// ctxvar_current_slot, so every shared object in a process sees the same one. It owns one
// reference to the context it holds (or holds an entered context: see enter()).
struct CurrentSlot {
    ContextData* current = nullptr;  // first: current_context() reads offset 0
    bool release_registered = false; // the thread-exit release is armed (lib/current_context.cpp)
};

CTXVAR_NOPLT CurrentSlot* current_slot_out_of_line() noexcept;
CTXVAR_NOPLT void arm_release_at_thread_exit() noexcept;

// A fiber that migrates threads inside a caller must never use a thread-local address computed
// before the switch (DESIGN.md, "TLS address caching"), so nothing here lets the compiler keep
// one: on x86-64 ELF each access is a volatile asm with a memory clobber (the thread pointer is
// re-read every time, and the access cannot move across a call that switches fibers); elsewhere
// it is an out-of-line call. The asm is the initial-exec TLS sequence, valid in executables and
// in shared objects (the library's slot has the initial-exec model); it is AT&T syntax, so a
// build with -masm=intel must define CTXVAR_INLINE_SLOT=0. A library loaded with dlopen()
// needs glibc's spare static TLS for the 16-byte slot, as any initial-exec TLS does.
#if !defined(CTXVAR_INLINE_SLOT)
#if defined(__x86_64__) && !defined(__ILP32__) && defined(__ELF__) && defined(__GNUC__)
#define CTXVAR_INLINE_SLOT 1
#else
#define CTXVAR_INLINE_SLOT 0
#endif
#endif

inline CurrentSlot* current_slot() noexcept {
#if CTXVAR_INLINE_SLOT
    CurrentSlot* slot;
    asm volatile("movq %%fs:0, %0\n\t"
                 "addq ctxvar_current_slot@gottpoff(%%rip), %0"
                 : "=r"(slot)
                 :
                 : "memory");
    return slot;
#else
    return current_slot_out_of_line();
#endif
}

// This thread's current context object, or nullptr when its flow has none yet.
inline ContextData* current_context() noexcept {
#if CTXVAR_INLINE_SLOT
    ContextData* context; // one load less than current_slot()->current: the hot path of get()
    asm volatile("movq ctxvar_current_slot@gottpoff(%%rip), %0\n\t"
                 "movq %%fs:(%0), %0"
                 : "=r"(context)
                 :
                 : "memory");
    return context;
#else
    return current_slot_out_of_line()->current;
#endif
}

// Installs `next` as this thread's current context and returns the previous one. Ownership of
// `next`'s reference passes to the slot, and the caller owns the returned one. Never allocates,
// never throws, never touches a reference count.
// Arms the thread-exit release unless it is armed: before this thread first holds something
// that must be released when it ends.
inline void ensure_release_at_thread_exit(const CurrentSlot* slot) noexcept {
    if (!slot->release_registered) [[unlikely]] {
        arm_release_at_thread_exit();
    }
}

inline ContextData* exchange_current(ContextData* next) noexcept {
    CurrentSlot* slot = current_slot();
    if (next != nullptr) {
        ensure_release_at_thread_exit(slot);
    }
    ContextData* previous = slot->current;
    slot->current = next;
    return previous;
}

// Context::run's two halves. `enter` sets the entered bit and takes a reference in one step
// (throws ContextEnteredError when already entered anywhere), installs `context`, and returns
// the previous current context; `exit` puts `previous` back and drops the bit and reference.
ContextData* enter(ContextData* context);
void exit(ContextData* context, ContextData* previous) noexcept;
// Their halves without the slot, for a flow that runs in a context it did not enter through
// Context::run (ContextEntry, switch.hpp): set the bit and take a reference (or throw
// ContextEnteredError), and drop both (freeing the object if that was the last reference).
void mark_entered(ContextData* context);
void unmark_entered(ContextData* context) noexcept;

// Creates an empty context object and makes it current (this flow had none).
ContextData& create_current();

// The current context, created (empty) when this flow has none: what copy_context() needs.
inline ContextData& current_or_create() {
    ContextData* context = current_context();
    return context != nullptr ? *context : create_current();
}

// Same variables with equal values (by each value type's ==).
bool equal_contents(const Snapshot& a, const Snapshot& b);

// The value the current context holds for `var`, or nullptr. Inline: the fast path of get().
inline const ValueBox* find_current(const VarData* var) noexcept {
    const ContextData* context = current_context();
    return context != nullptr ? context->find(var) : nullptr;
}

} // namespace ctxvar::detail
