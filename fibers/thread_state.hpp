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

    // This thread's state, created on first use. Greenlets never switch between threads, so a
    // thread-local address may be kept across a greenlet switch.
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

// initial-exec: a %fs-relative load instead of a __tls_get_addr call on every switch.
[[gnu::tls_model("initial-exec")]] extern constinit thread_local ThreadState* this_thread_state;

inline ThreadState& ThreadState::get() {
    if (ThreadState* state = this_thread_state) [[likely]] {
        return *state;
    }
    return create();
}

inline ThreadState* ThreadState::find() noexcept {
    return this_thread_state;
}

} // namespace ctxvar::fibers::detail
