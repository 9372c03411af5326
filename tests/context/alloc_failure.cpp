// Replaces the global operator new and delete (every form) for the whole test binary. They
// forward to malloc and free and count this thread's allocations; FailAfter (alloc_failure.hpp)
// makes one of the next allocations on this thread fail. Disarmed, they change nothing.
#include "alloc_failure.hpp"

#include <cstddef>
#include <cstdlib>
#include <new>

constinit thread_local context_test::AllocControl context_test::alloc_control;

namespace {

using context_test::alloc_control;

// Whether this allocation is the one to fail. One failure per arming: the allocations made while
// the failure unwinds succeed.
bool inject_failure() noexcept {
    ++alloc_control.count;
    if (alloc_control.fail_after < 0) {
        return false;
    }
    if (alloc_control.fail_after == 0) {
        alloc_control.fail_after = -1;
        return true;
    }
    --alloc_control.fail_after;
    return false;
}

void* allocate(std::size_t size, std::size_t alignment) noexcept {
    if (inject_failure()) {
        return nullptr;
    }
    if (size == 0) {
        size = 1;
    }
    if (alignment <= alignof(std::max_align_t)) {
        return std::malloc(size);
    }
    void* p = nullptr;
    return posix_memalign(&p, alignment, size) == 0 ? p : nullptr;
}

void* allocate_or_throw(std::size_t size, std::size_t alignment) {
    if (void* p = allocate(size, alignment)) {
        return p;
    }
    throw std::bad_alloc();
}

} // namespace

// NOLINTBEGIN(misc-new-delete-overloads): every form is replaced, as a set
void* operator new(std::size_t size) {
    return allocate_or_throw(size, 0);
}
void* operator new[](std::size_t size) {
    return allocate_or_throw(size, 0);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return allocate(size, 0);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return allocate(size, 0);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
    return allocate_or_throw(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
    return allocate_or_throw(size, static_cast<std::size_t>(alignment));
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
    return allocate(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
    return allocate(size, static_cast<std::size_t>(alignment));
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    std::free(p);
}
// NOLINTEND(misc-new-delete-overloads)
