// The context core beside thread storage: get, set+reset, copy_context, run and the switch
// primitive at 1 to 10,000 variables set in the current context, and bytes per variable.
#include "consume.hpp"
#include "ratios.hpp"

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

// n variables, each set once in the current context: the context every row below runs in.
Vars make_vars(std::size_t n) {
    Vars vars;
    vars.reserve(n);
    for (std::size_t i = 0; i != n; ++i) {
        vars.emplace_back("v" + std::to_string(i));
    }
    for (std::size_t i = 0; i != n; ++i) {
        static_cast<void>(vars[i].set(static_cast<int>(i)));
    }
    return vars;
}

std::size_t n_of(const benchmark::State& state) {
    return static_cast<std::size_t>(state.range(0));
}

// Each row runs inside a fresh Context, so that rows never see each other's variables.
template <class Body>
void in_fresh_context(benchmark::State& state, Body body) {
    ctxvar::Context().run([&] {
        Vars vars = make_vars(n_of(state));
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

// Context::run of a function that does nothing: enter, call, exit.
void run_noop_ctxvar(benchmark::State& state) {
    const ctxvar::Context context;
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

// Heap bytes (malloc's own headers included) per variable set in a context: the trie's share
// and the value boxes, measured as the growth of glibc's in-use total while n variables are
// set (the variables themselves exist before).
void memory_ctxvar(benchmark::State& state) {
    const std::size_t n = n_of(state);
    double per_variable = 0;
    for (auto _ : state) {
        Vars vars;
        for (std::size_t i = 0; i != n; ++i) {
            vars.emplace_back("v");
        }
        ctxvar::Context().run([&] {
            const std::size_t before = mallinfo2().uordblks;
            for (std::size_t i = 0; i != n; ++i) {
                static_cast<void>(vars[i].set(static_cast<int>(i)));
            }
            per_variable = static_cast<double>(mallinfo2().uordblks - before) / n;
        });
    }
    state.counters["bytes_per_var"] = per_variable;
}

void sizes(benchmark::internal::Benchmark* b) {
    for (long n : {1, 8, 64, 1000, 10000}) {
        b->Arg(n);
    }
}

BENCHMARK(get_ctxvar)->Name("get/ctxvar")->Apply(sizes);
BENCHMARK(set_reset_ctxvar)->Name("set_reset/ctxvar")->Apply(sizes);
BENCHMARK(set_reset_new_ctxvar)->Name("set_reset_new/ctxvar")->Apply(sizes);
BENCHMARK(copy_ctxvar)->Name("copy/ctxvar")->Arg(8)->Arg(1000);
BENCHMARK(run_noop_ctxvar)->Name("run/ctxvar_noop");
BENCHMARK(switch_pair_ctxvar)->Name("switch/ctxvar_pair");
BENCHMARK(memory_ctxvar)->Name("memory/ctxvar")->Arg(1000)->Iterations(1);

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
// CPython 3.11's set+reset at 1,000 variables is 484 ns (the median on this kind of
// machine): at least 2x faster means at most 242 ns. bench/ will measure CPython itself.
CTXVAR_JUDGE("set+reset, 1000 variables (2x faster than CPython's 484 ns)", "set_reset/ctxvar/1000",
             Bar::at_most_ns(242));
CTXVAR_JUDGE("copy_context vs one shared_ptr copy", "copy/ctxvar/8", "copy/shared_ptr",
             Bar::at_most_times(2));
CTXVAR_JUDGE("run(noop)", "run/ctxvar_noop", Bar::at_most_ns(10));
CTXVAR_JUDGE("switch primitive, a pair (there and back: 2 x 3 ns)", "switch/ctxvar_pair",
             Bar::at_most_ns(6));

} // namespace
