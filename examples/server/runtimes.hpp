// The three ways the server can run its connections. Each serves until SIGINT or SIGTERM, then
// closes every connection, waits for every flow to end and returns.
#pragma once

#include "net.hpp"

namespace server {

// A Boost.Fiber fiber per connection on ctxvar's context-aware work_stealing scheduler over
// options.threads threads; an io thread runs Boost.Asio and the fibers block on futures.
void run_fibers(const Options& options);

// A gevent-style hub greenlet per thread drives an io_context and switches to the connection
// greenlet whose I/O completed.
void run_greenlets(const Options& options);

// A ctxvar::coro task per connection on an executor over an io_context per thread.
void run_coroutines(const Options& options);

} // namespace server
