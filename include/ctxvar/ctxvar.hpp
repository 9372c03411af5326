// The umbrella header: the whole context core (variables, tokens, contexts, threads, callbacks
// and the switch primitive for runtimes) and the locals (Local, LocalStack, LocalProxy,
// LocalManager).
#pragma once

#include <ctxvar/bind_context.hpp>
#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/errors.hpp>
#include <ctxvar/local.hpp>
#include <ctxvar/local_manager.hpp>
#include <ctxvar/local_proxy.hpp>
#include <ctxvar/local_stack.hpp>
#include <ctxvar/shared_value.hpp>
#include <ctxvar/switch.hpp>
#include <ctxvar/thread.hpp>
#include <ctxvar/version.hpp>
