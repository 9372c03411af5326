// How a ctxvar::Thread's function ended, and who gets its exception.
#include <ctxvar/thread.hpp>

#include <exception>

namespace ctxvar::detail {
namespace {

// std::terminate with `error` as the exception in flight, so the terminate handler reports it.
[[noreturn]] void terminate_with(std::exception_ptr error) noexcept {
    std::rethrow_exception(error); // escapes a noexcept function: std::terminate
}

} // namespace

void ThreadOutcome::fail(std::exception_ptr error) noexcept {
    error_ = std::move(error);
    if (state_.exchange(failed, std::memory_order_acq_rel) == detached) {
        terminate_with(error_);
    }
}

void ThreadOutcome::detach() noexcept {
    if (state_.exchange(detached, std::memory_order_acq_rel) == failed) {
        terminate_with(error_);
    }
}

void ThreadOutcome::rethrow_after_join() {
    if (error_) {
        std::rethrow_exception(std::exchange(error_, nullptr));
    }
}

void ThreadOutcome::terminate_if_failed_after_join() noexcept {
    if (error_) {
        terminate_with(error_);
    }
}

} // namespace ctxvar::detail
