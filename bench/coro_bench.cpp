// Coroutine tasks with their context handling next to the same task type with it compiled out
// (ctxvar::coro::BasicTask<T, false>): awaiting a child that completes synchronously, a
// suspend/resume round trip through a manual awaitable, spawn + join on a ThreadPool next
// to plain functions posted to the same pool, and the memory an idle spawned task takes.
#include "consume.hpp"
#include "ratios.hpp"
#include "variables.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/coro.hpp>

#include <benchmark/benchmark.h>

#include <malloc.h>

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <string>
#include <vector>

namespace {

using ctxvar::bench::Bar;
using ctxvar::bench::consume;
using ctxvar::coro::BasicTask;

ctxvar::ContextVar<int> var{"var", 0};

template <bool Switching>
BasicTask<int, Switching> completes_synchronously(int i) {
    co_return i + 1;
}

// The benchmark loop runs inside a task, so each iteration is one co_await of a fresh child
// that completes without suspending (frame allocation, start, result, back to the parent).
template <bool Switching>
BasicTask<void, Switching> await_children(benchmark::State& state) {
    static_cast<void>(var.set(1)); // the task has a context with a value in it
    int i = 0;
    for (auto _ : state) {
        i = co_await completes_synchronously<Switching>(i);
        consume(i);
    }
}

template <bool Switching>
void await_completed_child(benchmark::State& state) {
    ctxvar::coro::sync_wait(await_children<Switching>(state));
}

// Suspends every time, keeping the handle for the benchmark loop to resume.
struct ManualEvent {
    std::coroutine_handle<> waiter;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> coroutine) noexcept { waiter = coroutine; }
    void await_resume() const noexcept {}
};

template <bool Switching>
BasicTask<void, Switching> wait_forever(ManualEvent& event, const bool& stop) {
    static_cast<void>(var.set(2));
    while (!stop) {
        co_await event;
        consume(var.get());
    }
}

// One iteration: the benchmark thread (with a context of its own, var = 1) resumes the task,
// which reads its variable and suspends again: two hand-overs with Switching.
template <bool Switching>
void suspend_resume(benchmark::State& state) {
    ManualEvent event;
    bool stop = false;
    ctxvar::Context().run([&] {
        static_cast<void>(var.set(1));
        ctxvar::coro::InlineExecutor here;
        auto handle = ctxvar::coro::spawn(here, wait_forever<Switching>(event, stop));
        for (auto _ : state) {
            event.waiter.resume();
        }
        stop = true;
        event.waiter.resume();
        handle.join();
    });
}

constexpr int batch = 100;

template <bool Switching>
BasicTask<void, Switching> count_one(std::atomic<int>& done) {
    done.fetch_add(1, std::memory_order_relaxed);
    co_return;
}

// One iteration: 100 tasks spawned on a 2-thread pool, then all joined.
template <bool Switching>
void spawn_join(benchmark::State& state) {
    ctxvar::coro::ThreadPool pool(2);
    static_cast<void>(var.set(1)); // each spawn copies a context with a value in it
    std::atomic<int> done{0};
    for (auto _ : state) {
        ctxvar::coro::JoinHandle<void, Switching> handles[batch];
        for (auto& handle : handles) {
            handle = ctxvar::coro::spawn(pool, count_one<Switching>(done));
        }
        for (auto& handle : handles) {
            handle.join();
        }
    }
    consume(done.load());
}

// The baseline: 100 plain functions posted to the same kind of pool, then waited for.
void post_functions(benchmark::State& state) {
    ctxvar::coro::ThreadPool pool(2);
    std::atomic<int> done{0};
    for (auto _ : state) {
        done.store(0, std::memory_order_relaxed);
        for (int i = 0; i < batch; ++i) {
            pool.post([&done] {
                if (done.fetch_add(1, std::memory_order_acq_rel) + 1 == batch) {
                    done.notify_one();
                }
            });
        }
        for (int seen = done.load(std::memory_order_acquire); seen != batch;
             seen = done.load(std::memory_order_acquire)) {
            done.wait(seen, std::memory_order_acquire);
        }
    }
}

// Suspends and leaves the handle in a list, for the benchmark to resume later.
struct Park {
    std::vector<std::coroutine_handle<>>* parked;
    bool await_ready() const noexcept { return false; }
    // The list has room reserved for every task: push_back does not allocate.
    void await_suspend(std::coroutine_handle<> coroutine) noexcept { parked->push_back(coroutine); }
    void await_resume() const noexcept {}
};

template <bool Switching>
BasicTask<void, Switching> park_once(std::vector<std::coroutine_handle<>>& parked) {
    co_await Park{&parked};
}

// 1,000 tasks spawned on an InlineExecutor (each runs at once until it parks on a manual
// awaitable, and stays suspended there), from a context with 8 variables set: the heap bytes
// one suspended task costs (glibc's in-use total, malloc's headers included): its frame, the
// root coroutine spawn wraps it in (which holds the join state: result, waiter, reference
// counts) and, with ctxvar, the copy of the spawner's context it holds (one context object
// sharing the snapshot; the 8 values themselves are not counted). The plain row spawns the same
// task type with the context handling compiled out (BasicTask<void, false>, whose spawn takes no
// copy), so the difference is what ctxvar adds to a task. One task is spawned, resumed and
// joined first, so that first-use allocations are not counted. Then all are resumed and joined.
// glibc counts the chunks in its per-thread cache as in use, so a few reused from it go unseen:
// with that cache turned off (GLIBC_TUNABLES=glibc.malloc.tcache_count=0) the figures move by
// about 2 bytes.
template <bool Switching>
void memory_idle_task(benchmark::State& state) {
    constexpr std::size_t count = 1000;
    for (auto _ : state) {
        ctxvar::Context().run([&] {
            const std::vector<ctxvar::ContextVar<int>> vars = ctxvar::bench::set_new_variables(8);
            ctxvar::coro::InlineExecutor here;
            std::vector<std::coroutine_handle<>> parked;
            parked.reserve(count + 1);
            std::vector<ctxvar::coro::JoinHandle<void, Switching>> handles;
            handles.reserve(count);

            auto warm_up = ctxvar::coro::spawn(here, park_once<Switching>(parked));
            parked.back().resume();
            warm_up.join();
            parked.clear();

            const double before = ctxvar::bench::heap_in_use();
            for (std::size_t i = 0; i != count; ++i) {
                handles.push_back(ctxvar::coro::spawn(here, park_once<Switching>(parked)));
            }
            state.counters["heap_bytes_per_task"] = (ctxvar::bench::heap_in_use() - before) / count;
            if (parked.size() != count) {
                state.SkipWithError("a task did not stay suspended");
            }

            for (std::coroutine_handle<> task : parked) {
                task.resume();
            }
            for (auto& handle : handles) {
                handle.join();
            }
        });
    }
}

} // namespace

BENCHMARK(await_completed_child<false>)->Name("coro/await_completed/plain");
BENCHMARK(await_completed_child<true>)->Name("coro/await_completed/ctxvar");
BENCHMARK(suspend_resume<false>)->Name("coro/suspend_resume/plain");
BENCHMARK(suspend_resume<true>)->Name("coro/suspend_resume/ctxvar");
BENCHMARK(post_functions)->Name("coro/pool_100/post_function");
BENCHMARK(spawn_join<false>)->Name("coro/pool_100/spawn_join_plain");
BENCHMARK(spawn_join<true>)->Name("coro/pool_100/spawn_join_ctxvar");
BENCHMARK(memory_idle_task<false>)->Name("coro/memory/idle_plain")->Iterations(1);
BENCHMARK(memory_idle_task<true>)->Name("coro/memory/idle_ctxvar")->Iterations(1);

CTXVAR_JUDGE("co_await of a synchronously completing child vs context compiled out",
             "coro/await_completed/ctxvar", "coro/await_completed/plain", Bar::at_most_ns_more(2));
// DESIGN.md: switching flows adds at most a few nanoseconds to the runtime's own switch.
CTXVAR_JUDGE("suspend/resume round trip vs context compiled out", "coro/suspend_resume/ctxvar",
             "coro/suspend_resume/plain", Bar::at_most_ns_more(5));
CTXVAR_JUDGE("100 x spawn+join on a 2-thread pool vs 100 posted functions (reported)",
             "coro/pool_100/spawn_join_ctxvar", "coro/pool_100/post_function",
             Bar::at_most_times(3));
CTXVAR_JUDGE("100 x spawn+join vs the same with the context compiled out",
             "coro/pool_100/spawn_join_ctxvar", "coro/pool_100/spawn_join_plain",
             Bar::at_most_times(1.5));
