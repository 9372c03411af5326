// ctxvar::coro::detail::Result<T>: a task's outcome (a value, a reference, nothing, or an
// exception) kept in its promise until the awaiter or joiner takes it.
#pragma once

#include <exception>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace ctxvar::coro::detail {

template <class T>
class Result {
  public:
    template <class U>
    void set_value(U&& value) {
        if constexpr (std::is_reference_v<T>) {
            storage_.template emplace<1>(std::addressof(value));
        } else {
            storage_.template emplace<1>(std::forward<U>(value));
        }
    }
    void set_exception(std::exception_ptr error) noexcept {
        storage_.template emplace<2>(std::move(error));
    }

    bool has_exception() const noexcept { return storage_.index() == 2; }
    std::exception_ptr exception() const noexcept {
        return has_exception() ? std::get<2>(storage_) : nullptr;
    }

    // The value (moved out) or reference, or the exception rethrown. Called once.
    T take() {
        if (storage_.index() == 2) {
            std::rethrow_exception(std::get<2>(storage_));
        }
        if (storage_.index() != 1) {
            throw std::logic_error("ctxvar::coro: the task has no result (it did not complete)");
        }
        if constexpr (std::is_reference_v<T>) {
            return static_cast<T>(*std::get<1>(storage_));
        } else {
            return std::move(std::get<1>(storage_));
        }
    }

  private:
    using Stored = std::conditional_t<std::is_reference_v<T>,
                                      std::add_pointer_t<std::remove_reference_t<T>>, T>;
    std::variant<std::monostate, Stored, std::exception_ptr> storage_;
};

template <>
class Result<void> {
  public:
    void set_value() noexcept { state_ = State::value; }
    void set_exception(std::exception_ptr error) noexcept {
        error_ = std::move(error);
        state_ = State::error;
    }
    bool has_exception() const noexcept { return state_ == State::error; }
    std::exception_ptr exception() const noexcept { return error_; }
    void take() {
        if (state_ == State::error) {
            std::rethrow_exception(error_);
        }
        if (state_ != State::value) {
            throw std::logic_error("ctxvar::coro: the task has no result (it did not complete)");
        }
    }

  private:
    enum class State : unsigned char { none, value, error };
    State state_ = State::none;
    std::exception_ptr error_;
};

// The return_value / return_void half of a promise, which must not have both.
template <class T>
struct ReturnsInto {
    Result<T> result;
    template <class U = T>
    requires std::is_convertible_v<U&&, T>
    void return_value(U&& value) { result.set_value(std::forward<U>(value)); }
    void unhandled_exception() noexcept { result.set_exception(std::current_exception()); }
};

template <>
struct ReturnsInto<void> {
    Result<void> result;
    void return_void() noexcept { result.set_value(); }
    void unhandled_exception() noexcept { result.set_exception(std::current_exception()); }
};

} // namespace ctxvar::coro::detail
