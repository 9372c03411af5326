// The coroutine umbrella header: ctxvar::coro's tasks, spawn and join handles, when_all,
// sync_wait, resume_on, the thread pool and generators (all header-only, on the context core).
#pragma once

#include <ctxvar/coro/executor.hpp>
#include <ctxvar/coro/generator.hpp>
#include <ctxvar/coro/resume_on.hpp>
#include <ctxvar/coro/spawn.hpp>
#include <ctxvar/coro/sync_wait.hpp>
#include <ctxvar/coro/task.hpp>
#include <ctxvar/coro/thread_pool.hpp>
#include <ctxvar/coro/unretrieved_exception.hpp>
#include <ctxvar/coro/when_all.hpp>
