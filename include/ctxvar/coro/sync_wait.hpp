// ctxvar::coro::sync_wait: runs a task from synchronous code and blocks until it ends.
#pragma once

#include <ctxvar/context.hpp>
#include <ctxvar/coro/spawn.hpp>
#include <ctxvar/coro/task.hpp>

#include <utility>

namespace ctxvar::coro {

// Starts `task` on the calling thread in a copy of the current context (as asyncio.run starts
// its main task), blocks until it ends, wherever it ends, and returns its result or rethrows
// its exception. The caller's context is as before: what the task sets stays in the task. Do
// not call it from a thread the task needs in order to finish (a thread of the pool it hops to).
template <class T, bool Switching>
T sync_wait(BasicTask<T, Switching> task) {
    InlineExecutor here;
    return spawn(here, std::move(task)).join();
}

// The same, in `context` itself, entered for the task's life (ContextEnteredError if it is
// entered already): the context keeps what the task set.
template <class T, bool Switching>
T sync_wait(BasicTask<T, Switching> task, Context context) {
    InlineExecutor here;
    return spawn(here, std::move(task), std::move(context)).join();
}

} // namespace ctxvar::coro
