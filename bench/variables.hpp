// What the context rows share: the numbers of variables they are measured at, the context they
// run in (n variables, each set once), and the heap's in-use total the memory rows read.
#pragma once

#include <ctxvar/ctxvar.hpp>

#include <malloc.h>

#include <cstddef>
#include <string>
#include <vector>

namespace ctxvar::bench {

// The sizes every issue uses, in every table and the plot (and in bench/cpython_bench.py).
inline constexpr int variable_counts[] = {1, 8, 64, 1000, 10000};

// glibc allows 1024 POSIX keys per process (PTHREAD_KEYS_MAX): the pthread rows stop here.
inline constexpr int pthread_key_limit = 1000;

// n new variables ("v0", "v1", ...), each set once in the current context to its index.
inline std::vector<ctxvar::ContextVar<int>> set_new_variables(std::size_t n) {
    std::vector<ctxvar::ContextVar<int>> vars;
    vars.reserve(n);
    for (std::size_t i = 0; i != n; ++i) {
        vars.emplace_back("v" + std::to_string(i));
    }
    for (std::size_t i = 0; i != n; ++i) {
        static_cast<void>(vars[i].set(static_cast<int>(i)));
    }
    return vars;
}

// glibc's bytes in use (malloc headers included), as a double, so that the growth between two
// readings is signed: something freed inside the window makes it smaller, never a wrapped
// 1.8e19.
inline double heap_in_use() {
    return static_cast<double>(mallinfo2().uordblks);
}

} // namespace ctxvar::bench
