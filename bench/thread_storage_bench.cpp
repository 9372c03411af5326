// The baselines the context-variable benchmarks are judged against: a read of per-thread (or
// per-fiber) storage every common way (get/<impl>/<n>), and one std::shared_ptr copy.
#include "consume.hpp"

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
// process (PTHREAD_KEYS_MAX), so there is no 10000 row.
void get_pthread_getspecific(benchmark::State& state) {
    const std::size_t n = n_of(state);
    std::vector<pthread_key_t> keys(n);
    std::vector<int> values(n);
    std::size_t created = 0;
    while (created != n && pthread_key_create(&keys[created], nullptr) == 0) {
        pthread_setspecific(keys[created], &values[created]);
        ++created;
    }
    if (created == n) {
        const pthread_key_t key = keys[n / 2];
        for (auto _ : state) {
            benchmark::ClobberMemory();
            consume(*static_cast<const int*>(pthread_getspecific(key)));
        }
    } else {
        state.SkipWithError("pthread_key_create failed: the process is out of keys");
    }
    for (std::size_t i = 0; i != created; ++i) {
        pthread_key_delete(keys[i]);
    }
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
    for (long n : {1, 8, 64, 1000, 10000}) {
        b->Arg(n);
    }
}

BENCHMARK(get_thread_local)->Name("get/thread_local")->Apply(sizes);
BENCHMARK(get_pthread_getspecific)
    ->Name("get/pthread_getspecific")
    ->Arg(1)
    ->Arg(8)
    ->Arg(64)
    ->Arg(1000);
BENCHMARK(get_thread_specific_ptr)->Name("get/thread_specific_ptr")->Apply(sizes);
BENCHMARK(get_fiber_specific_ptr)->Name("get/fiber_specific_ptr")->Apply(sizes);
BENCHMARK(copy_shared_ptr)->Name("copy/shared_ptr");

} // namespace
