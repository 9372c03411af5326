// ctxvar::coro::Generator<T>: a synchronous generator (`co_yield`) that shares its consumer's
// context, as a Python generator does, or runs in a context of its own when asked.
#pragma once

#include <ctxvar/switch.hpp>

#include <coroutine>
#include <exception>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace ctxvar::coro {

// A lazy, move-only range of the values the coroutine yields; it runs a step each time the
// consumer advances. It cannot co_await (a synchronous generator). An exception that ends it is
// rethrown from begin() or ++.
//
// Context: by default the generator shares its consumer's context, as in Python: each step
// runs in whatever context the consumer has current, and its sets are the consumer's too.
// in_own_context() opts into a context of its own (the isolation PEP 568 proposed and Python
// never shipped): a copy of the consumer's context taken at the first step; every step runs in
// it and the consumer's is put back at each yield, so the generator's sets stay inside it and
// the consumer's sets made after the first step are not seen. (PEP 568 would let later
// consumer sets show through for variables the generator never set; that needs lookups through
// a stack of contexts, which ctxvar's one-snapshot get does not do.)
template <class T>
class [[nodiscard]] Generator {
  public:
    using value_type = std::remove_cvref_t<T>;
    using reference = std::conditional_t<std::is_reference_v<T>, T, const T&>;

    class promise_type {
      public:
        Generator get_return_object() noexcept {
            return Generator(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        std::suspend_always yield_value(std::remove_reference_t<reference>& value) noexcept {
            value_ = std::addressof(value);
            return {};
        }
        // A yielded prvalue lives in the generator's frame until the next step.
        std::suspend_always yield_value(std::remove_reference_t<reference>&& value) noexcept {
            value_ = std::addressof(value);
            return {};
        }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { error_ = std::current_exception(); }
        template <class A>
        void await_transform(A&&) = delete; // synchronous: no co_await inside

      private:
        friend Generator;
        std::add_pointer_t<std::remove_reference_t<reference>> value_ = nullptr;
        std::exception_ptr error_;
        SavedContext saved_;
        bool own_context_ = false;
        bool started_ = false;
    };

    struct sentinel {};

    class iterator {
      public:
        using value_type = Generator::value_type;
        using difference_type = std::ptrdiff_t;

        iterator() noexcept = default;
        reference operator*() const noexcept {
            return static_cast<reference>(*handle_.promise().value_);
        }
        iterator& operator++() {
            Generator::step(handle_);
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& it, sentinel) noexcept {
            return !it.handle_ || it.handle_.done();
        }

      private:
        friend Generator;
        explicit iterator(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
        std::coroutine_handle<promise_type> handle_;
    };

    Generator(Generator&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Generator& operator=(Generator other) noexcept {
        std::swap(handle_, other.handle_);
        return *this;
    }
    // Destroys the coroutine wherever it is suspended; in own-context mode its context goes too.
    ~Generator() {
        if (handle_) {
            handle_.destroy();
        }
    }

    // Opts into a context of the generator's own (above). Only before the first step:
    // std::logic_error after it.
    Generator in_own_context() && {
        auto& promise = checked().promise();
        if (promise.started_) {
            throw std::logic_error(
                "ctxvar::coro::Generator: in_own_context() after the first step");
        }
        promise.own_context_ = true;
        return std::move(*this);
    }

    // Runs the first step. Call once.
    iterator begin() {
        auto handle = checked();
        if (handle.promise().started_) {
            throw std::logic_error("ctxvar::coro::Generator: begin() called twice");
        }
        step(handle);
        return iterator(handle);
    }
    sentinel end() const noexcept { return {}; }

  private:
    explicit Generator(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}

    std::coroutine_handle<promise_type> checked() const {
        if (!handle_) {
            throw std::logic_error("ctxvar::coro::Generator: empty generator (moved from)");
        }
        return handle_;
    }

    // One step: in own-context mode the generator's context is installed around the resume and
    // the consumer's put back after it (the resume itself never throws).
    static void step(std::coroutine_handle<promise_type> handle) {
        auto& promise = handle.promise();
        if (handle.done()) {
            throw std::logic_error("ctxvar::coro::Generator: advanced past its end");
        }
        if (promise.own_context_) {
            if (!promise.started_) {
                promise.saved_ = SavedContext::copy_of_current();
            }
            promise.started_ = true;
            promise.saved_ = switch_context(std::move(promise.saved_));
            handle.resume();
            promise.saved_ = switch_context(std::move(promise.saved_));
        } else {
            promise.started_ = true;
            handle.resume();
        }
        if (promise.error_) {
            std::rethrow_exception(std::exchange(promise.error_, nullptr));
        }
    }

    std::coroutine_handle<promise_type> handle_;
};

} // namespace ctxvar::coro
