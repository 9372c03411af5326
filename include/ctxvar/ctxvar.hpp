// The umbrella header: the whole context core (variables, tokens, contexts, threads, callbacks
// and the switch primitive for runtimes). The locals join it when they exist.
#pragma once

#include <ctxvar/bind_context.hpp>
#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/errors.hpp>
#include <ctxvar/switch.hpp>
#include <ctxvar/thread.hpp>
#include <ctxvar/version.hpp>
