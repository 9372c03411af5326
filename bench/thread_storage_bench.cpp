// The baselines the context-variable benchmarks are judged against: a read of per-thread (or
// per-fiber) storage every common way (get/<impl>/<n>), the same storage set to a new value and
// restored (set_reset/<impl>/<n>, the counterpart of ContextVar's set + reset), and one
// std::shared_ptr copy.
#include "consume.hpp"
#include "variables.hpp"

#include <benchmark/benchmark.h>
#include <boost/fiber/fss.hpp>
#include <boost/thread/tss.hpp>

#include <pthread.h>

#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#endif

#include <cstddef>
#include <memory>
#include <vector>

namespace {

using ctxvar::bench::consume;

// Each get row reads one int many times in a hot loop, so it measures the lookup with
// everything in L1 cache, as the context-variable rows will. ClobberMemory tells the compiler
// that memory may have changed, so the read is redone every iteration instead of once before
// the loop; consume() makes it produce the int. With n slots, the one read is slot n / 2,
// not the first: for pthread keys a middle one (see below); in a std::map no key is cheaper
// than another anyway (find walks down to a leaf whatever the key).

std::size_t n_of(const benchmark::State& state) {
    return static_cast<std::size_t>(state.range(0));
}

constinit thread_local int tls_value = 0;

// One load of a constant-initialized thread_local defined in the executable: the local-exec
// TLS model, a single %fs-relative mov, with no call and no initialization guard. The floor
// for any per-thread lookup. The setup writes the variable: one never written would be folded
// to its initial value, and the loop would time nothing. n is otherwise unused; the row
// repeats per n so the table stays uniform.
void get_thread_local(benchmark::State& state) {
    tls_value = static_cast<int>(state.range(0));
    for (auto _ : state) {
        benchmark::ClobberMemory();
        consume(tls_value);
    }
}

// n POSIX keys, each set on this thread. glibc keeps a thread's first 32 keys in its thread
// descriptor and the rest in second-level blocks of 32, so the middle key of 64 or more costs
// one more indirection (the process's own keys come first). glibc allows 1024 keys per
// process (PTHREAD_KEYS_MAX), so there is no 10000 row. Runs body(key) with key the middle one;
// skips the row if the process runs out of keys.
template <class Body>
void with_pthread_keys(benchmark::State& state, Body body) {
    const std::size_t n = n_of(state);
    std::vector<pthread_key_t> keys(n);
    std::vector<int> values(n);
    std::size_t created = 0;
    while (created != n && pthread_key_create(&keys[created], nullptr) == 0) {
        pthread_setspecific(keys[created], &values[created]);
        ++created;
    }
    if (created == n) {
        body(keys[n / 2]);
    } else {
        state.SkipWithError("pthread_key_create failed: the process is out of keys");
    }
    for (std::size_t i = 0; i != created; ++i) {
        pthread_key_delete(keys[i]);
    }
}

// One pthread_getspecific of the middle key.
void get_pthread_getspecific(benchmark::State& state) {
    with_pthread_keys(state, [&](const pthread_key_t key) {
        for (auto _ : state) {
            benchmark::ClobberMemory();
            consume(*static_cast<const int*>(pthread_getspecific(key)));
        }
    });
}

// n boost::thread_specific_ptr: Boost.Thread keeps a thread's values in a std::map keyed by
// the pointer's address, found through a pthread key of its own.
void get_thread_specific_ptr(benchmark::State& state) {
    const std::size_t n = n_of(state);
    // Neither copyable nor movable, so one array of n. Each destructor deletes its value.
    const auto ptrs = std::make_unique<boost::thread_specific_ptr<int>[]>(n);
    for (std::size_t i = 0; i != n; ++i) {
        ptrs[i].reset(new int(static_cast<int>(i)));
    }
    const boost::thread_specific_ptr<int>& ptr = ptrs[n / 2];
    for (auto _ : state) {
        benchmark::ClobberMemory();
        consume(*ptr);
    }
}

// n boost::fibers::fiber_specific_ptr, set on the main fiber: Boost.Fiber finds the running
// fiber's context (a thread_local inside libboost_fiber), then looks in that fiber's
// std::map keyed by the pointer's address.
void get_fiber_specific_ptr(benchmark::State& state) {
    const std::size_t n = n_of(state);
    // Neither copyable nor movable, so one array of n. Each destructor deletes its value.
    const auto ptrs = std::make_unique<boost::fibers::fiber_specific_ptr<int>[]>(n);
    for (std::size_t i = 0; i != n; ++i) {
        ptrs[i].reset(new int(static_cast<int>(i)));
    }
    const boost::fibers::fiber_specific_ptr<int>& ptr = ptrs[n / 2];
    for (auto _ : state) {
        benchmark::ClobberMemory();
        consume(*ptr);
    }
}

// Each set_reset row is the thread-storage counterpart of set_reset/ctxvar/<n>, which times
// `var.reset(var.set(++i))` on the middle one of n variables already set: set a new int value,
// then put the previous one back, on the same slot n / 2 the get rows read.

// Save the old value, write the new one, write the old one back. Without the barriers the
// compiler would see a store immediately overwritten by another and drop the first (the whole
// body would fold to nothing: the variable ends as it started). ClobberMemory after each store
// says memory may be read there, so both stores happen, and the next iteration reloads the old
// value instead of keeping it in a register. n is unused, as in get/thread_local.
void set_reset_thread_local(benchmark::State& state) {
    tls_value = static_cast<int>(state.range(0));
    int i = 0;
    for (auto _ : state) {
        const int old = tls_value;
        tls_value = ++i;
        benchmark::ClobberMemory();
        tls_value = old;
        benchmark::ClobberMemory();
    }
}

// pthread_getspecific for the old pointer, pthread_setspecific to a new int, then
// pthread_setspecific back to the old one. POSIX storage holds a pointer and owns nothing, so
// the new value lives in a local: no allocation, unlike the owning rows below. The calls go into
// glibc, so nothing is folded. Same sizes as get/pthread_getspecific (at most 1024 keys).
void set_reset_pthread_setspecific(benchmark::State& state) {
    with_pthread_keys(state, [&](const pthread_key_t key) {
        int fresh = 0;
        int i = 0;
        for (auto _ : state) {
            void* const old = pthread_getspecific(key);
            fresh = ++i;
            pthread_setspecific(key, &fresh);
            pthread_setspecific(key, old);
        }
    });
}

// The owning pointers (thread_specific_ptr, fiber_specific_ptr) delete their value on reset, so
// the faithful set + restore is `old = p.release(); p.reset(new int(++i)); p.reset(old);`: a
// new value allocated and freed each time, as ContextVar::set allocates the new value's box and
// reset frees it. Boost adds more of its own: release() stores a null value, which erases the
// pointer's node from the thread's (or fiber's) std::map, and the next reset inserts it again.
// So each op here is two allocations and two frees (the int and the map node: counted with a
// replaced operator new, Boost 1.81) plus a map erase and insert, against ctxvar's one box.
template <class Ptr>
void set_reset_owning(benchmark::State& state) {
    const std::size_t n = n_of(state);
    // Neither copyable nor movable, so one array of n. Each destructor deletes its value.
    const auto ptrs = std::make_unique<Ptr[]>(n);
    for (std::size_t i = 0; i != n; ++i) {
        ptrs[i].reset(new int(static_cast<int>(i)));
    }
    Ptr& ptr = ptrs[n / 2];
    int i = 0;
    for (auto _ : state) {
        int* const old = ptr.release();
        ptr.reset(new int(++i));
        ptr.reset(old);
    }
}

// n boost::thread_specific_ptr, as get/thread_specific_ptr; the middle one is set and restored.
void set_reset_thread_specific_ptr(benchmark::State& state) {
    set_reset_owning<boost::thread_specific_ptr<int>>(state);
}

// n boost::fibers::fiber_specific_ptr set on the main fiber, as get/fiber_specific_ptr; the
// middle one is set and restored.
void set_reset_fiber_specific_ptr(benchmark::State& state) {
    set_reset_owning<boost::fibers::fiber_specific_ptr<int>>(state);
}

// One std::shared_ptr copy and its destruction: an atomic increment and decrement of the
// shared count. libstdc++ skips the atomics while glibc says the process has one thread, so
// main() starts a thread first, as every program that switches contexts has; this row refuses
// to measure the single-threaded shortcut.
void copy_shared_ptr(benchmark::State& state) {
#if __has_include(<sys/single_threaded.h>)
    if (__libc_single_threaded) {
        state.SkipWithError("single-threaded process: shared_ptr copies would not be atomic");
        return;
    }
#endif
    const auto original = std::make_shared<int>(42);
    for (auto _ : state) {
        std::shared_ptr<int> copy = original;
        benchmark::DoNotOptimize(copy);
    }
}

void sizes(benchmark::internal::Benchmark* b) {
    for (const int n : ctxvar::bench::variable_counts) {
        b->Arg(n);
    }
}

void pthread_sizes(benchmark::internal::Benchmark* b) {
    for (const int n : ctxvar::bench::variable_counts) {
        if (n <= ctxvar::bench::pthread_key_limit) {
            b->Arg(n);
        }
    }
}

BENCHMARK(get_thread_local)->Name("get/thread_local")->Apply(sizes);
BENCHMARK(get_pthread_getspecific)->Name("get/pthread_getspecific")->Apply(pthread_sizes);
BENCHMARK(get_thread_specific_ptr)->Name("get/thread_specific_ptr")->Apply(sizes);
BENCHMARK(get_fiber_specific_ptr)->Name("get/fiber_specific_ptr")->Apply(sizes);
BENCHMARK(set_reset_thread_local)->Name("set_reset/thread_local")->Apply(sizes);
BENCHMARK(set_reset_pthread_setspecific)
    ->Name("set_reset/pthread_setspecific")
    ->Apply(pthread_sizes);
BENCHMARK(set_reset_thread_specific_ptr)->Name("set_reset/thread_specific_ptr")->Apply(sizes);
BENCHMARK(set_reset_fiber_specific_ptr)->Name("set_reset/fiber_specific_ptr")->Apply(sizes);
BENCHMARK(copy_shared_ptr)->Name("copy/shared_ptr");

} // namespace
