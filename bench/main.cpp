// The Google Benchmark runner: the one translation unit that defines main() for ctxvar_bench.
// Benchmarks live in their own files and register themselves with BENCHMARK(...).
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
