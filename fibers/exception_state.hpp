// Swaps the C++ runtime's per-thread exception-handling state on a greenlet switch: the chain
// of exceptions being handled and std::uncaught_exceptions(). Without it, a greenlet that
// switches away inside a catch handler would end another greenlet's handler when it ends its own.
#pragma once

#include <ctxvar/fibers/detail/greenlet_core.hpp>

#include <cxxabi.h>

namespace ctxvar::fibers::detail {

#if defined(__GLIBCXX__) || defined(_LIBCPPABI_VERSION)
// libsupc++'s and libc++abi's __cxa_eh_globals both begin { caughtExceptions; uncaughtExceptions }.
inline constexpr bool exception_state_switched = true;

inline void switch_exception_state(ExceptionState& leaving,
                                   const ExceptionState& entering) noexcept {
    auto* globals = reinterpret_cast<ExceptionState*>(abi::__cxa_get_globals());
    leaving = *globals;
    *globals = entering;
}
#else
inline constexpr bool exception_state_switched = false;
inline void switch_exception_state(ExceptionState&, const ExceptionState&) noexcept {}
#endif

} // namespace ctxvar::fibers::detail
