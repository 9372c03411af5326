// The greenlet runtime's per-thread state (the main greenlet, the running greenlet, the value in
// flight, the list of unfinished greenlets) and the record a greenlet keeps of its thread.
#pragma once

#include "stack_cache.hpp"

#include <ctxvar/fibers/greenlet.hpp>

#include <any>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

namespace ctxvar::fibers::detail {

// Shared by a thread and its greenlets, so it outlives the thread: greenlets whose last handle
// went elsewhere wait here for the thread to kill them.
struct ThreadRecord {
    std::mutex mutex;
    std::vector<Greenlet*> doomed; // unfinished, no handle left: to kill on the owner thread
    std::atomic<bool> has_doomed{false};
    std::atomic<bool> ended{false}; // set (under mutex) once the thread killed its greenlets
};

// What one switch sends: a value or an exception for the target's pending switch_to.
struct Transfer {
    std::any value;
    std::exception_ptr error;
};

struct ThreadState {
    ThreadState();
    ~ThreadState(); // the thread ends: kills its unfinished greenlets
    ThreadState(const ThreadState&) = delete;
    ThreadState& operator=(const ThreadState&) = delete;

    // The running flow's state, created on first use: the thread's, or under the context
    // scheduler a Boost.Fiber fiber's own (owned by the fiber, ended when it finishes).
    static ThreadState& get();
    // nullptr when this thread never used greenlets (or its state is gone).
    static ThreadState* find() noexcept;
    static ThreadState& create(); // get()'s first use on a thread

    StackCache stacks{default_stack_size, 64}; // the default StackAllocator's; destroyed last
    std::shared_ptr<ThreadRecord> record = std::make_shared<ThreadRecord>();
    std::shared_ptr<Greenlet> main;
    Greenlet* current = nullptr;
    ExceptionState* exceptions =
        nullptr; // the C++ runtime's, for this thread (exception_state.hpp)
    Transfer transfer;
    Greenlet* newest = nullptr; // the started, unfinished non-main greenlets (core.older/newer)
};

// The running flow's greenlet runtime: the thread's, or the running Boost.Fiber fiber's under the
// context scheduler (which swaps this pointer on every fiber switch). initial-exec: a
// %fs-relative load instead of a __tls_get_addr call on every switch. Its symbol is named for the
// accessors' asm.
[[gnu::tls_model("initial-exec")]] extern constinit thread_local ThreadState*
    this_thread_state asm("ctxvar_fibers_this_thread_state");

// Every access goes through these two: a Boost.Fiber fiber may move to another thread inside any
// call (a greenlet's code may block), so the compiler must never reuse this thread-local's
// address across a call (DESIGN.md, "TLS address caching"). On x86-64 ELF a volatile asm with a
// memory clobber re-reads the thread pointer each time; elsewhere an out-of-line call does.
ThreadState* load_this_thread_state_out_of_line() noexcept;
void store_this_thread_state_out_of_line(ThreadState* state) noexcept;

inline ThreadState* load_this_thread_state() noexcept {
#if CTXVAR_INLINE_SLOT
    ThreadState* state;
    asm volatile("movq ctxvar_fibers_this_thread_state@gottpoff(%%rip), %0\n\t"
                 "movq %%fs:(%0), %0"
                 : "=r"(state)
                 :
                 : "memory");
    return state;
#else
    return load_this_thread_state_out_of_line();
#endif
}

inline void store_this_thread_state(ThreadState* state) noexcept {
#if CTXVAR_INLINE_SLOT
    void* offset;
    asm volatile("movq ctxvar_fibers_this_thread_state@gottpoff(%%rip), %0\n\t"
                 "movq %1, %%fs:(%0)"
                 : "=&r"(offset)
                 : "r"(state)
                 : "memory");
#else
    store_this_thread_state_out_of_line(state);
#endif
}

inline ThreadState& ThreadState::get() {
    if (ThreadState* state = load_this_thread_state()) [[likely]] {
        return *state;
    }
    return create();
}

inline ThreadState* ThreadState::find() noexcept {
    return load_this_thread_state();
}

} // namespace ctxvar::fibers::detail
