// Greenlets beside Boost.Context: a switch round trip (no value, an int, a ContextVar read after
// each switch) next to a raw boost::context::fiber round trip; create + start + finish next to a
// std::thread; and what an idle greenlet costs in memory.
#include "consume.hpp"
#include "ratios.hpp"
#include "variables.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/fibers/greenlet.hpp>

#include <benchmark/benchmark.h>
#include <boost/context/fiber.hpp>

#include <malloc.h>
#include <unistd.h>

#include <any>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

namespace {

using ctxvar::bench::Bar;
using ctxvar::bench::consume;
using ctxvar::fibers::Greenlet;

// The baseline: resume a fiber that resumes us straight back.
void switch_raw_fiber(benchmark::State& state) {
    namespace bctx = boost::context;
    bctx::fiber other{[](bctx::fiber&& back) {
        for (;;) {
            back = std::move(back).resume();
        }
        return std::move(back);
    }};
    other = std::move(other).resume(); // started, and back here
    for (auto _ : state) {
        other = std::move(other).resume();
    }
}

// The same, with the resume behind one out-of-line call on each side, as any switch in a compiled
// library is: each return after a stack switch is mispredicted (the return-stack predictor
// cannot follow the switch), so this is the floor for a non-inline switch_to.
[[gnu::noinline]] boost::context::fiber resume_out_of_line(boost::context::fiber&& f) {
    return std::move(f).resume();
}

void switch_raw_fiber_out_of_line(benchmark::State& state) {
    namespace bctx = boost::context;
    bctx::fiber other{[](bctx::fiber&& back) {
        for (;;) {
            back = resume_out_of_line(std::move(back));
        }
        return std::move(back);
    }};
    other = resume_out_of_line(std::move(other));
    for (auto _ : state) {
        other = resume_out_of_line(std::move(other));
    }
}

// A greenlet that switches straight back to its parent, forever (killed at the end).
std::shared_ptr<Greenlet> echo(bool send_int) {
    return Greenlet::create([send_int](std::any) -> std::any {
        Greenlet* parent = Greenlet::current()->parent().get();
        for (int i = 0;; ++i) {
            if (send_int) {
                consume(std::any_cast<int>(parent->switch_to(i)));
            } else {
                parent->switch_to();
            }
        }
    });
}

void switch_greenlet(benchmark::State& state) {
    auto other = echo(false);
    other->switch_to();
    for (auto _ : state) {
        other->switch_to();
    }
}

void switch_greenlet_int(benchmark::State& state) {
    auto other = echo(true);
    other->switch_to();
    int i = 0;
    for (auto _ : state) {
        consume(std::any_cast<int>(other->switch_to(++i)));
    }
}

// Each side reads a variable of its own context right after each switch.
void switch_greenlet_get(benchmark::State& state) {
    static ctxvar::ContextVar<int> var{"var"};
    auto other = Greenlet::create([](std::any) -> std::any {
        static_cast<void>(var.set(2));
        Greenlet* parent = Greenlet::current()->parent().get();
        for (;;) {
            parent->switch_to();
            consume(var.get());
        }
    });
    ctxvar::Context().run([&] {
        static_cast<void>(var.set(1));
        other->switch_to();
        for (auto _ : state) {
            other->switch_to();
            consume(var.get());
        }
        other.reset(); // killed here, inside the run
    });
}

// What the read costs without the switches, in the same setting.
void get_in_context(benchmark::State& state) {
    static ctxvar::ContextVar<int> var{"var"};
    ctxvar::Context().run([&] {
        static_cast<void>(var.set(1));
        for (auto _ : state) {
            benchmark::ClobberMemory();
            consume(var.get());
        }
    });
}

void create_finish_greenlet(benchmark::State& state) {
    for (auto _ : state) {
        auto g = Greenlet::create([](std::any v) { return v; });
        consume(std::any_cast<int>(g->switch_to(1)));
    }
}

void create_join_thread(benchmark::State& state) {
    for (auto _ : state) {
        int result = 0;
        std::thread t([&] { result = 1; });
        t.join();
        consume(result);
    }
}

long resident_pages() {
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0;
    statm >> size >> resident;
    return resident;
}

// 1,000 started greenlets, each suspended in a small function: heap bytes (greenlet object,
// control block, function) and stack bytes touched per greenlet, beyond what a thread has.
void memory_idle_greenlet(benchmark::State& state) {
    constexpr int count = 1000;
    for (auto _ : state) {
        std::vector<std::shared_ptr<Greenlet>> idle;
        idle.reserve(count);
        auto suspend = [](std::any) -> std::any {
            return Greenlet::current()->parent()->switch_to();
        };
        Greenlet::create(suspend)->switch_to(); // the runtime's own first-use allocations
        const double heap_before = ctxvar::bench::heap_in_use();
        const long pages_before = resident_pages();
        for (int i = 0; i < count; ++i) {
            idle.push_back(Greenlet::create(suspend));
            idle.back()->switch_to();
        }
        const double heap = ctxvar::bench::heap_in_use() - heap_before;
        const double stack = static_cast<double>(resident_pages() - pages_before) *
                             static_cast<double>(::sysconf(_SC_PAGESIZE));
        state.counters["heap_bytes_per_greenlet"] = heap / count;
        state.counters["resident_bytes_per_greenlet"] = (heap + stack) / count;
    }
}

} // namespace

BENCHMARK(switch_raw_fiber)->Name("greenlet/switch/boost_fiber");
BENCHMARK(switch_raw_fiber_out_of_line)->Name("greenlet/switch/boost_fiber_out_of_line");
BENCHMARK(switch_greenlet)->Name("greenlet/switch/greenlet");
BENCHMARK(switch_greenlet_int)->Name("greenlet/switch/greenlet_int");
BENCHMARK(switch_greenlet_get)->Name("greenlet/switch/greenlet_get");
BENCHMARK(get_in_context)->Name("greenlet/get/ctxvar");
BENCHMARK(create_finish_greenlet)->Name("greenlet/create_finish/greenlet");
BENCHMARK(create_join_thread)->Name("greenlet/create_finish/std_thread");
BENCHMARK(memory_idle_greenlet)->Name("greenlet/memory/idle")->Iterations(1);

CTXVAR_JUDGE("greenlet switch round trip vs boost::context::fiber", "greenlet/switch/greenlet",
             "greenlet/switch/boost_fiber", Bar::at_most_times(1.5));
CTXVAR_JUDGE("greenlet switch round trip vs boost::context::fiber behind one call",
             "greenlet/switch/greenlet", "greenlet/switch/boost_fiber_out_of_line",
             Bar::at_most_times(1.5));
CTXVAR_JUDGE("greenlet round trip with an int vs boost::context::fiber",
             "greenlet/switch/greenlet_int", "greenlet/switch/boost_fiber", Bar::at_most_times(3));
CTXVAR_JUDGE("greenlet create+start+finish vs std::thread create+join",
             "greenlet/create_finish/greenlet", "greenlet/create_finish/std_thread",
             Bar::at_least_times_faster(10));
