// Boost.Fiber with and without the context scheduler: a yield round trip between two fibers,
// ContextVar::get inside a fiber beside fiber_specific_ptr::get, and creating + joining a fiber
// with and without inheriting a context. Each side runs on a thread of its own whose scheduler
// stays installed for the whole run (a thread's context scheduler cannot be taken off again).
#include "consume.hpp"
#include "ratios.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/fibers/scheduler.hpp>

#include <benchmark/benchmark.h>
#include <boost/fiber/all.hpp>

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace bf = boost::fibers;
using ctxvar::bench::Bar;
using ctxvar::bench::consume;

// A thread with a Boost.Fiber scheduler that runs one job at a time, each in a fiber of its own,
// for a benchmark function waiting on the benchmark's thread. The benchmark's State is used from
// this thread meanwhile; the rows are judged on real time.
class FiberThread {
  public:
    explicit FiberThread(bool context_scheduler)
        : thread_([this, context_scheduler] { serve(context_scheduler); }) {}
    ~FiberThread() {
        run(nullptr);
        thread_.join();
    }

    // Runs job() in a new fiber on this thread (a plain fiber: it inherits a copy under the
    // context scheduler) and returns when it is done.
    void run(std::function<void()> job) {
        std::unique_lock lock(mutex_);
        job_ = std::move(job);
        stop_ = !job_;
        pending_ = true;
        changed_.notify_all();
        changed_.wait(lock, [this] { return !pending_; });
    }

  private:
    void serve(bool context_scheduler) {
        if (context_scheduler) {
            ctxvar::fibers::use_context_scheduler<bf::algo::round_robin>();
        } else {
            bf::use_scheduling_algorithm<bf::algo::round_robin>();
        }
        for (;;) {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [this] { return pending_; });
            if (stop_) {
                pending_ = false;
                changed_.notify_all();
                return;
            }
            std::function<void()> job = std::move(job_);
            lock.unlock();
            bf::fiber(job).join();
            lock.lock();
            pending_ = false;
            changed_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::function<void()> job_;
    bool pending_ = false;
    bool stop_ = false;
    std::thread thread_;
};

FiberThread& plain_thread() {
    static FiberThread thread(false);
    return thread;
}

FiberThread& context_thread() {
    static FiberThread thread(true);
    return thread;
}

// The job fiber yields to a partner fiber that yields straight back: one iteration is a round
// trip (two switches, and Boost's dispatcher fiber now and then, on both sides alike). Both set a
// variable first, so under the context scheduler each has a context object of its own and each
// switch hands one over.
void yield_round_trip(benchmark::State& state, FiberThread& thread) {
    static ctxvar::ContextVar<int> var("yield_var");
    thread.run([&] {
        var.set(1);
        bool done = false;
        bf::fiber partner([&] {
            var.set(2);
            while (!done) {
                boost::this_fiber::yield();
            }
        });
        for (auto _ : state) {
            boost::this_fiber::yield();
        }
        done = true;
        partner.join();
    });
}

void yield_plain(benchmark::State& state) {
    yield_round_trip(state, plain_thread());
}

void yield_ctxvar(benchmark::State& state) {
    yield_round_trip(state, context_thread());
}

std::size_t n_of(const benchmark::State& state) {
    return static_cast<std::size_t>(state.range(0));
}

// n variables set in the job fiber's own context; reads the middle one, as get/ctxvar does.
void get_ctxvar_in_fiber(benchmark::State& state) {
    context_thread().run([&] {
        std::vector<ctxvar::ContextVar<int>> vars;
        vars.reserve(n_of(state));
        for (std::size_t i = 0; i != n_of(state); ++i) {
            vars.emplace_back("v" + std::to_string(i));
            static_cast<void>(vars.back().set(static_cast<int>(i)));
        }
        const ctxvar::ContextVar<int>& var = vars[vars.size() / 2];
        for (auto _ : state) {
            benchmark::ClobberMemory();
            consume(var.get());
        }
    });
}

// n fiber_specific_ptr set in the job fiber; reads the middle one.
void get_fiber_specific_ptr_in_fiber(benchmark::State& state) {
    plain_thread().run([&] {
        const std::size_t n = n_of(state);
        const auto ptrs = std::make_unique<bf::fiber_specific_ptr<int>[]>(n);
        for (std::size_t i = 0; i != n; ++i) {
            ptrs[i].reset(new int(static_cast<int>(i)));
        }
        const bf::fiber_specific_ptr<int>& ptr = ptrs[n / 2];
        for (auto _ : state) {
            benchmark::ClobberMemory();
            consume(*ptr);
        }
    });
}

// Create, run (empty body) and join one fiber, from a job fiber with 8 variables set.
template <class Make>
void create_join(benchmark::State& state, FiberThread& thread, Make make) {
    thread.run([&] {
        std::vector<ctxvar::ContextVar<int>> vars;
        for (int i = 0; i != 8; ++i) {
            vars.emplace_back("v" + std::to_string(i));
            static_cast<void>(vars.back().set(i));
        }
        for (auto _ : state) {
            bf::fiber f = make();
            f.join();
        }
    });
}

void create_join_plain(benchmark::State& state) {
    create_join(state, plain_thread(), [] { return bf::fiber([] {}); });
}

void create_join_inherit(benchmark::State& state) {
    create_join(state, context_thread(), [] { return bf::fiber([] {}); });
}

void create_join_make_fiber_inherit(benchmark::State& state) {
    create_join(state, context_thread(),
                [] { return ctxvar::fibers::make_fiber(ctxvar::fibers::inherit_context, [] {}); });
}

void create_join_make_fiber_empty(benchmark::State& state) {
    create_join(state, context_thread(),
                [] { return ctxvar::fibers::make_fiber(ctxvar::empty_context, [] {}); });
}

void sizes(benchmark::internal::Benchmark* b) {
    for (long n : {1, 8, 64, 1000}) {
        b->Arg(n);
    }
}

} // namespace

BENCHMARK(yield_plain)->Name("fiber/yield/plain");
BENCHMARK(yield_ctxvar)->Name("fiber/yield/ctxvar");
BENCHMARK(get_ctxvar_in_fiber)->Name("fiber/get/ctxvar")->Apply(sizes);
BENCHMARK(get_fiber_specific_ptr_in_fiber)->Name("fiber/get/fiber_specific_ptr")->Apply(sizes);
BENCHMARK(create_join_plain)->Name("fiber/create_join/plain");
BENCHMARK(create_join_inherit)->Name("fiber/create_join/inherit");
BENCHMARK(create_join_make_fiber_inherit)->Name("fiber/create_join/make_fiber_inherit");
BENCHMARK(create_join_make_fiber_empty)->Name("fiber/create_join/make_fiber_empty");

// The bars of the Boost.Fiber issue: a yield with the context scheduler at most 1.05x the plain
// one, and get inside a fiber with the core issue's bars against fiber_specific_ptr.
CTXVAR_JUDGE("Boost.Fiber yield round trip: context scheduler vs plain", "fiber/yield/ctxvar",
             "fiber/yield/plain", Bar::at_most_times(1.05));
CTXVAR_JUDGE("get in a fiber, 1 variable: ctxvar vs fiber_specific_ptr", "fiber/get/ctxvar/1",
             "fiber/get/fiber_specific_ptr/1", Bar::at_least_times_faster(6));
CTXVAR_JUDGE("get in a fiber, 8 variables: ctxvar vs fiber_specific_ptr", "fiber/get/ctxvar/8",
             "fiber/get/fiber_specific_ptr/8", Bar::at_least_times_faster(6));
CTXVAR_JUDGE("get in a fiber, 64 variables: ctxvar vs fiber_specific_ptr", "fiber/get/ctxvar/64",
             "fiber/get/fiber_specific_ptr/64", Bar::at_least_times_faster(4));
CTXVAR_JUDGE("get in a fiber, 1000 variables: ctxvar vs fiber_specific_ptr",
             "fiber/get/ctxvar/1000", "fiber/get/fiber_specific_ptr/1000",
             Bar::at_least_times_faster(4));
// No bar in the issue for creation: these print the cost of the copy (and of make_fiber's
// properties allocated up front) against a plain fiber, with a loose bar of my own.
CTXVAR_JUDGE("fiber create+join, inheriting a copy vs plain", "fiber/create_join/inherit",
             "fiber/create_join/plain", Bar::at_most_times(1.5));
CTXVAR_JUDGE("fiber create+join, make_fiber (copy) vs plain",
             "fiber/create_join/make_fiber_inherit", "fiber/create_join/plain",
             Bar::at_most_times(1.5));
CTXVAR_JUDGE("fiber create+join, make_fiber (empty) vs plain", "fiber/create_join/make_fiber_empty",
             "fiber/create_join/plain", Bar::at_most_times(1.5));
