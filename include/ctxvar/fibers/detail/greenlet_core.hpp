// ctxvar::fibers::detail::GreenletCore: what the runtime keeps per greenlet (its suspended stack
// pointer, stack, state, parent, saved context, sanitizer bookkeeping). Internal.
#pragma once

#include <ctxvar/fibers/stack.hpp>
#include <ctxvar/switch.hpp>

#include <boost/context/stack_context.hpp>

#include <atomic>
#include <cstddef>
#include <memory>

namespace ctxvar::fibers {
class Greenlet;
}

namespace ctxvar::fibers::detail {

struct ThreadRecord;

enum class GreenletState : unsigned char { unstarted, active, dead };

// The C++ runtime's per-thread exception-handling state (the caught-exception chain and the
// uncaught count), kept per greenlet while it is suspended: a greenlet may switch away inside a
// catch handler, and another may catch exceptions of its own before it comes back.
struct ExceptionState {
    void* caught = nullptr;
    unsigned int uncaught = 0;
};

struct GreenletCore {
    void* suspended_at = nullptr;        // the Boost.Context fcontext to jump to, while suspended
    boost::context::stack_context stack; // size 0: none (the main greenlet, unstarted, finished)
    std::atomic<GreenletState> state{GreenletState::unstarted};
    bool main = false;
    bool finishing = false;               // its last switch is under way
    std::shared_ptr<Greenlet> parent;     // keeps the parent alive; null only for a main greenlet
    SavedContext saved;                   // its current context while it is not running
    std::shared_ptr<ThreadRecord> thread; // the thread it belongs to
    StackAllocator stacks;
    ExceptionState exceptions;
    Greenlet* older = nullptr; // the owner thread's list of started, unfinished greenlets
    Greenlet* newer = nullptr;
    // Sanitizer bookkeeping: ASan's fake stack while suspended and this stack's bounds; TSan's
    // fiber for this stack.
    void* asan_fake_stack = nullptr;
    const void* asan_bottom = nullptr;
    std::size_t asan_size = 0;
    void* tsan_fiber = nullptr;
};

// Frees a greenlet when its last handle goes (kills it first if it is unfinished).
struct Reaper {
    void operator()(Greenlet* greenlet) const noexcept;
};

} // namespace ctxvar::fibers::detail
