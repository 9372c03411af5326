// consume(value): makes the compiler produce a value in a register, so that a benchmark loop
// really performs the read it claims to time.
#pragma once

namespace ctxvar::bench {

// benchmark::DoNotOptimize(x) takes x as "+m,r": GCC may satisfy it with the memory x was
// copied from, and then a plain read (a thread_local int, say) compiles to no instruction at
// all. An "r" input leaves it no such way out: the value must be loaded.
template <class T>
[[gnu::always_inline]] inline void consume(T value) {
    asm volatile("" : : "r"(value));
}

} // namespace ctxvar::bench
