// The process's one current-context slot per thread, the switch primitive over it, entering and
// exiting contexts, and the release of a thread's context when the thread ends.
#include "context_pool.hpp"

#include <ctxvar/detail/context_data.hpp>
#include <ctxvar/errors.hpp>

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

// The slot. Trivially destructible and constant-initialised, so it can be read at any point of a
// thread's life, from any other thread_local's destructor included. initial-exec: one
// %fs-relative access instead of a __tls_get_addr call, and the model the header's asm assumes.
extern "C" {
[[gnu::tls_model("initial-exec"), gnu::visibility("default")]] constinit thread_local //
    ctxvar::detail::CurrentSlot ctxvar_current_slot;
}

namespace ctxvar::detail {
namespace {

// Thread exit: glibc runs POSIX thread-specific-data destructors after every C++ thread_local
// destructor of the thread (start_thread: __call_tls_dtors, then __nptl_deallocate_tsd). So a
// thread_local destructor may still get and set variables; the context goes after all of them.
// A set from a later TSD destructor re-arms the release (glibc repeats the TSD round, up to
// PTHREAD_DESTRUCTOR_ITERATIONS times). The main thread runs no TSD destructors: its context
// lives until the process ends.
// The thread's spare context-object storage goes last (lib/context_pool.cpp).
void release_at_thread_exit(void*) noexcept {
    ctxvar_current_slot.release_registered = false;
    release(std::exchange(ctxvar_current_slot.current, nullptr));
    drain_context_pool();
}

pthread_key_t thread_exit_key() noexcept {
    static const pthread_key_t key = [] {
        pthread_key_t k;
        if (pthread_key_create(&k, &release_at_thread_exit) != 0) {
            std::fputs("ctxvar: pthread_key_create failed; cannot release contexts at thread "
                       "exit\n",
                       stderr);
            std::abort();
        }
        return k;
    }();
    return key;
}

} // namespace

CurrentSlot* current_slot_out_of_line() noexcept {
    return &ctxvar_current_slot;
}

void arm_release_at_thread_exit() noexcept {
    // Any non-null value arms the destructor. ENOMEM (the only possible error) leaves it unarmed,
    // and the next installation tries again.
    ctxvar_current_slot.release_registered =
        pthread_setspecific(thread_exit_key(), &ctxvar_current_slot) == 0;
}

namespace {

[[noreturn, gnu::cold]] void throw_entered(const ContextData* context) {
    char address[32];
    std::snprintf(address, sizeof address, "%p", static_cast<const void*>(context));
    throw ContextEnteredError(std::string("cannot enter context: <Context object at ") + address +
                              "> is already entered");
}

} // namespace

// What an entry adds to a context object's state: the entered bit and one reference.
constexpr std::uint64_t entry = ContextData::entered_bit + ContextData::one_ref;

void mark_entered(ContextData* context) {
    std::uint64_t state = context->state.load(std::memory_order_relaxed);
    do {
        if (state & ContextData::entered_bit) {
            throw_entered(context);
        }
        // acquire: the snapshot the last flow to exit left (on any thread) is the one we see.
    } while (!context->state.compare_exchange_weak(state, state + entry, std::memory_order_acquire,
                                                   std::memory_order_relaxed));
}

void unmark_entered(ContextData* context) noexcept {
    // release: what this flow set is visible to the next flow to enter.
    if (context->state.fetch_sub(entry, std::memory_order_acq_rel) == entry) {
        destroy_context(context);
    }
}

ContextData* enter(ContextData* context) {
    mark_entered(context);
    return exchange_current(context);
}

void exit(ContextData* context, ContextData* previous) noexcept {
    ContextData* current = exchange_current(previous);
    if (current != context) [[unlikely]] {
        // A runtime switched this flow's context out and did not give it back before the run
        // exited: the references no longer add up, so going on would free a live object.
        std::fputs("ctxvar: Context::run exited with another context current; a runtime did "
                   "not switch back (see docs/switching.md)\n",
                   stderr);
        std::abort();
    }
    unmark_entered(context);
}

ContextData& create_current() {
    ContextData* created = create_context({});
    release(exchange_current(created)); // nullptr: this flow had no context
    return *created;
}

} // namespace ctxvar::detail
