// A stateless allocator that counts the bytes it has live, so a benchmark can report what a
// container costs in memory beside what it costs in time.
#pragma once

#include <cstddef>
#include <memory>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ctxvar::bench {

// What the counted containers hold: the bytes they asked for, and what the heap gave them
// (glibc's usable size plus its 8-byte chunk header). Benchmarks run on one thread.
inline std::size_t live_bytes = 0;
inline std::size_t heap_bytes = 0;

template <class T>
struct CountingAllocator {
    using value_type = T;

    CountingAllocator() noexcept = default;
    template <class U>
    CountingAllocator(const CountingAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        T* p = std::allocator<T>{}.allocate(n);
        live_bytes += n * sizeof(T);
        heap_bytes += heap_size(p);
        return p;
    }
    void deallocate(T* p, std::size_t n) noexcept {
        live_bytes -= n * sizeof(T);
        heap_bytes -= heap_size(p);
        std::allocator<T>{}.deallocate(p, n);
    }

    static std::size_t heap_size(T* p) noexcept {
#if defined(__GLIBC__)
        return ::malloc_usable_size(p) + sizeof(std::size_t);
#else
        (void)p;
        return 0;
#endif
    }

    friend bool operator==(CountingAllocator, CountingAllocator) noexcept {
        return true;
    }
};

} // namespace ctxvar::bench
