// Swaps the C++ runtime's per-thread exception-handling state on a greenlet switch: the chain
// of exceptions being handled and std::uncaught_exceptions(). Without it, a greenlet that
// switches away inside a catch handler would end another greenlet's handler when it ends its own.
#pragma once

#include <ctxvar/fibers/detail/greenlet_core.hpp>

#include <cxxabi.h>

namespace ctxvar::fibers::detail {

#if defined(__GLIBCXX__) || defined(_LIBCPPABI_VERSION)
// libsupc++'s and libc++abi's __cxa_eh_globals both begin { caughtExceptions; uncaughtExceptions }.
// The calling thread's state; its address is fixed for the thread's life, so the runtime looks
// it up once per thread.
inline ExceptionState* this_thread_exception_state() noexcept {
    return reinterpret_cast<ExceptionState*>(abi::__cxa_get_globals());
}

inline void switch_exception_state(ExceptionState* thread, ExceptionState& leaving,
                                   const ExceptionState& entering) noexcept {
    leaving = *thread;
    *thread = entering;
}
#else
inline ExceptionState* this_thread_exception_state() noexcept {
    return nullptr;
}
inline void switch_exception_state(ExceptionState*, ExceptionState&,
                                   const ExceptionState&) noexcept {}
#endif

} // namespace ctxvar::fibers::detail
