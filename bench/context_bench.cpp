// The context core beside thread storage: get, set+reset, copy_context, run and the switch
// primitive at 1 to 10,000 variables set in the current context, and bytes per variable.
#include "consume.hpp"
#include "ratios.hpp"
#include "variables.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/switch.hpp>

#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstddef>
#include <string>
#include <vector>

namespace {

using ctxvar::bench::Bar;
using ctxvar::bench::consume;

using Vars = std::vector<ctxvar::ContextVar<int>>;

std::size_t n_of(const benchmark::State& state) {
    return static_cast<std::size_t>(state.range(0));
}

// Each row runs inside a fresh Context, so that rows never see each other's variables.
template <class Body>
void in_fresh_context(benchmark::State& state, Body body) {
    ctxvar::Context().run([&] {
        Vars vars = ctxvar::bench::set_new_variables(n_of(state));
        body(vars[vars.size() / 2]);
    });
}

// A read of a set variable, in L1 like the thread-storage rows: ClobberMemory makes each
// iteration redo it. After the first read, a context answers from its lookup cache.
void get_ctxvar(benchmark::State& state) {
    in_fresh_context(state, [&](const ctxvar::ContextVar<int>& var) {
        for (auto _ : state) {
            benchmark::ClobberMemory();
            consume(var.get());
        }
    });
}

// set() then reset() of a variable already set: the token path a request handler takes.
void set_reset_ctxvar(benchmark::State& state) {
    in_fresh_context(state, [&](ctxvar::ContextVar<int>& var) {
        int i = 0;
        for (auto _ : state) {
            var.reset(var.set(++i));
        }
    });
}

// The same for a variable not yet set: an insert and an erase in the trie.
void set_reset_new_ctxvar(benchmark::State& state) {
    in_fresh_context(state, [&](ctxvar::ContextVar<int>&) {
        ctxvar::ContextVar<int> fresh{"fresh"};
        int i = 0;
        for (auto _ : state) {
            fresh.reset(fresh.set(++i));
        }
    });
}

// copy_context(): a new context object sharing the snapshot, then dropped.
void copy_ctxvar(benchmark::State& state) {
    in_fresh_context(state, [&](ctxvar::ContextVar<int>&) {
        for (auto _ : state) {
            benchmark::DoNotOptimize(ctxvar::copy_context());
        }
    });
}

// Context::run of a function that does nothing, from outside the context: enter, call, exit.
// The context is a copy holding n set variables (taken inside a fresh context that set them),
// so the row shows that entering does not depend on what the context holds.
void run_ctxvar(benchmark::State& state) {
    Vars vars; // outlives the context holding their values
    ctxvar::Context context;
    ctxvar::Context().run([&] {
        vars = ctxvar::bench::set_new_variables(n_of(state));
        context = ctxvar::copy_context();
    });
    for (auto _ : state) {
        context.run([] { benchmark::ClobberMemory(); });
    }
}

// Two switch_context calls, as a runtime makes on a switch and on the switch back: the other
// flow's context in, then this flow's own back, so the run() around it exits in its context.
void switch_pair_ctxvar(benchmark::State& state) {
    ctxvar::SavedContext other{ctxvar::Context()};
    const ctxvar::Context mine;
    mine.run([&] {
        for (auto _ : state) {
            ctxvar::SavedContext saved = ctxvar::switch_context(std::move(other));
            benchmark::ClobberMemory();
            other = ctxvar::switch_context(std::move(saved));
        }
    });
}

// Heap bytes (malloc's own headers included) per variable set in a context of n: the trie's
// share and the value boxes, measured as the growth of glibc's in-use total while the variables
// are set (the variables and the empty contexts exist before). That total counts the chunks in
// glibc's per-thread cache (tcache: up to 7 freed chunks of each small size, kept for reuse) as
// in use, so allocations served from it, and frees into it, go unseen: measured here, up to about
// 10 KB either way at one point (what an earlier row freed, reused invisibly). Setting 1,000
// variables in one context once showed 50 bytes per variable where ten more such contexts showed
// 60 each, and at n = 1 it hid the whole cost (0 bytes). So the n variables are set in as many
// separate contexts as make 100,000 sets in all (at most 0.1 bytes of error per variable), after
// one set and reset in a context of its own for first-use allocations, and the growth is divided
// by them all. What remains is real and varies by a few bytes with the heap's history: malloc
// may hand out a free chunk a little larger than asked (56 to 62 bytes at n = 8 from run to run).
void memory_ctxvar(benchmark::State& state) {
    const std::size_t n = n_of(state);
    const std::size_t contexts = (100000 + n - 1) / n;
    double per_variable = 0;
    for (auto _ : state) {
        Vars vars;
        vars.reserve(n);
        for (std::size_t i = 0; i != n; ++i) {
            vars.emplace_back("v");
        }
        ctxvar::Context().run([&] { vars[0].reset(vars[0].set(0)); });
        const std::vector<ctxvar::Context> filled(contexts); // each a new, empty context
        const double before = ctxvar::bench::heap_in_use();
        for (const ctxvar::Context& context : filled) {
            context.run([&] {
                for (std::size_t i = 0; i != n; ++i) {
                    static_cast<void>(vars[i].set(static_cast<int>(i)));
                }
            });
        }
        per_variable = (ctxvar::bench::heap_in_use() - before) / static_cast<double>(contexts * n);
    }
    state.counters["bytes_per_var"] = per_variable;
}

void sizes(benchmark::internal::Benchmark* b) {
    for (const int n : ctxvar::bench::variable_counts) {
        b->Arg(n);
    }
}

BENCHMARK(get_ctxvar)->Name("get/ctxvar")->Apply(sizes);
BENCHMARK(set_reset_ctxvar)->Name("set_reset/ctxvar")->Apply(sizes);
BENCHMARK(set_reset_new_ctxvar)->Name("set_reset_new/ctxvar")->Apply(sizes);
BENCHMARK(copy_ctxvar)->Name("copy/ctxvar")->Apply(sizes);
BENCHMARK(run_ctxvar)->Name("run/ctxvar")->Apply(sizes);
BENCHMARK(switch_pair_ctxvar)->Name("switch/ctxvar_pair");
BENCHMARK(memory_ctxvar)->Name("memory/ctxvar")->Apply(sizes)->Iterations(1);

// The bars of the context-core issue.
CTXVAR_JUDGE("get, 1 variable: ctxvar vs thread_local", "get/ctxvar/1", "get/thread_local/1",
             Bar::at_most_times(5));
CTXVAR_JUDGE("get, 8 variables: ctxvar vs thread_local", "get/ctxvar/8", "get/thread_local/8",
             Bar::at_most_times(5));
CTXVAR_JUDGE("get, 64 variables: ctxvar vs thread_local", "get/ctxvar/64", "get/thread_local/64",
             Bar::at_most_times(10));
CTXVAR_JUDGE("get, 1000 variables: ctxvar vs thread_local", "get/ctxvar/1000",
             "get/thread_local/1000", Bar::at_most_times(10));
CTXVAR_JUDGE("get, 1 variable: ctxvar vs fiber_specific_ptr", "get/ctxvar/1",
             "get/fiber_specific_ptr/1", Bar::at_least_times_faster(6));
CTXVAR_JUDGE("get, 8 variables: ctxvar vs fiber_specific_ptr", "get/ctxvar/8",
             "get/fiber_specific_ptr/8", Bar::at_least_times_faster(6));
CTXVAR_JUDGE("get, 64 variables: ctxvar vs fiber_specific_ptr", "get/ctxvar/64",
             "get/fiber_specific_ptr/64", Bar::at_least_times_faster(4));
CTXVAR_JUDGE("get, 1000 variables: ctxvar vs fiber_specific_ptr", "get/ctxvar/1000",
             "get/fiber_specific_ptr/1000", Bar::at_least_times_faster(4));
CTXVAR_JUDGE("set+reset, 1 variable", "set_reset/ctxvar/1", Bar::at_most_ns(40));
// The cpython/ rows come from bench/cpython_bench.py, which ctxvar_bench runs between its
// rounds when given --python (./dev bench gives it Debian's /usr/bin/python3).
CTXVAR_JUDGE("set+reset, 1000 variables: at least 2x faster than CPython", "set_reset/ctxvar/1000",
             "cpython/set_reset/1000", Bar::at_least_times_faster(2));
CTXVAR_JUDGE("copy_context, 8 variables vs one shared_ptr copy", "copy/ctxvar/8", "copy/shared_ptr",
             Bar::at_most_times(2));
CTXVAR_JUDGE("copy_context, 1000 variables vs one shared_ptr copy", "copy/ctxvar/1000",
             "copy/shared_ptr", Bar::at_most_times(2));
CTXVAR_JUDGE("run(noop), 1 variable", "run/ctxvar/1", Bar::at_most_ns(10));
CTXVAR_JUDGE("run(noop), 1000 variables", "run/ctxvar/1000", Bar::at_most_ns(10));
CTXVAR_JUDGE("switch primitive, a pair (there and back: 2 x 3 ns)", "switch/ctxvar_pair",
             Bar::at_most_ns(6));

} // namespace
