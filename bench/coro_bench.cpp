// Coroutine tasks with their context handling next to the same task type with it compiled out
// (ctxvar::coro::BasicTask<T, false>): awaiting a child that completes synchronously, a
// suspend/resume round trip through a manual awaitable, and spawn + join on a ThreadPool next
// to plain functions posted to the same pool.
#include "consume.hpp"
#include "ratios.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/coro.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <coroutine>

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

} // namespace

BENCHMARK(await_completed_child<false>)->Name("coro/await_completed/plain");
BENCHMARK(await_completed_child<true>)->Name("coro/await_completed/ctxvar");
BENCHMARK(suspend_resume<false>)->Name("coro/suspend_resume/plain");
BENCHMARK(suspend_resume<true>)->Name("coro/suspend_resume/ctxvar");
BENCHMARK(post_functions)->Name("coro/pool_100/post_function");
BENCHMARK(spawn_join<false>)->Name("coro/pool_100/spawn_join_plain");
BENCHMARK(spawn_join<true>)->Name("coro/pool_100/spawn_join_ctxvar");

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
