// Tells AddressSanitizer and ThreadSanitizer about the greenlet runtime's stack switches, so the
// sanitized suites understand them. Empty inline functions in other builds.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace ctxvar::fibers::detail {

// Before the jump: `fake_stack` receives ASan's fake stack of the flow being left (nullptr when
// that flow is finishing: ASan frees it); [bottom, bottom + size) is the stack being entered.
inline void asan_start_switch(void** fake_stack, const void* bottom, std::size_t size) noexcept {
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_start_switch_fiber(fake_stack, bottom, size);
#else
    (void)fake_stack, (void)bottom, (void)size;
#endif
}

// After arriving: restores this flow's fake stack and reports the bounds of the stack left.
inline void asan_finish_switch(void* fake_stack, const void** left_bottom,
                               std::size_t* left_size) noexcept {
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(fake_stack, left_bottom, left_size);
#else
    (void)fake_stack, (void)left_bottom, (void)left_size;
#endif
}

// A finished stack's shadow may still mark frames that never returned: clear it before reuse.
inline void asan_forget_stack(void* bottom, std::size_t size) noexcept {
#if defined(__SANITIZE_ADDRESS__)
    __asan_unpoison_memory_region(bottom, size);
#else
    (void)bottom, (void)size;
#endif
}

inline void* tsan_current_fiber() noexcept {
#if defined(__SANITIZE_THREAD__)
    return __tsan_get_current_fiber();
#else
    return nullptr;
#endif
}
inline void* tsan_create_fiber() noexcept {
#if defined(__SANITIZE_THREAD__)
    return __tsan_create_fiber(0);
#else
    return nullptr;
#endif
}
inline void tsan_destroy_fiber(void* fiber) noexcept {
#if defined(__SANITIZE_THREAD__)
    if (fiber != nullptr) {
        __tsan_destroy_fiber(fiber);
    }
#else
    (void)fiber;
#endif
}
// Right before the jump; flag 0: the switch synchronises the two fibers (happens-before).
inline void tsan_switch_to(void* fiber) noexcept {
#if defined(__SANITIZE_THREAD__)
    __tsan_switch_to_fiber(fiber, 0);
#else
    (void)fiber;
#endif
}

} // namespace ctxvar::fibers::detail
