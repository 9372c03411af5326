// ctxvar::LocalManager: Werkzeug's LocalManager, which empties a set of locals and stacks in
// the current context, by hand or after every call of a wrapped handler.
#pragma once

#include <concepts>
#include <exception>
#include <functional>
#include <utility>
#include <vector>

namespace ctxvar {

// Anything a LocalManager can manage: a Local, a LocalStack<T>, or a type of the user's with a
// const release() that empties it in the current context.
template <class L>
concept releasable = std::copy_constructible<L> && requires(const L& local) {
    local.release();
};

// Manages any mix of locals and stacks (it keeps copies of their handles). Copies of a manager
// are independent lists of the same locals.
class LocalManager {
  public:
    LocalManager() = default;
    template <releasable... Locals>
    explicit LocalManager(const Locals&... locals) {
        (add(locals), ...);
    }

    template <releasable L>
    void add(const L& local) {
        releasers_.emplace_back([local] { local.release(); });
    }

    // Releases every managed local in the current context, in the order they were added. A
    // release that throws (std::bad_alloc, or a user type's own error) does not stop the
    // others; the first exception is rethrown once all have been tried.
    void cleanup() const;

    // Wraps `handler` (Werkzeug's make_middleware) into a callable that forwards its arguments
    // and result and runs cleanup() after each call, also when the handler throws. If both
    // throw, the handler's exception propagates and cleanup's is dropped (every release has
    // been tried); if only cleanup throws, its exception propagates (and the result is
    // destroyed). The wrapper holds a copy of this manager and of the handler.
    template <class Handler>
    auto middleware(Handler handler) const {
        return [manager = *this,
                handler = std::move(handler)](auto&&... args) mutable -> decltype(auto) {
            CleanupAtExit cleanup(manager);
            return std::invoke(handler, std::forward<decltype(args)>(args)...);
        };
    }

  private:
    // Runs cleanup() when the call it guards ends: quietly while an exception is unwinding the
    // call, throwing otherwise (after the result is made).
    class CleanupAtExit {
      public:
        explicit CleanupAtExit(const LocalManager& manager) noexcept
            : manager_(manager), exceptions_(std::uncaught_exceptions()) {}
        CleanupAtExit(const CleanupAtExit&) = delete;
        CleanupAtExit& operator=(const CleanupAtExit&) = delete;
        ~CleanupAtExit() noexcept(false) {
            if (std::uncaught_exceptions() > exceptions_) {
                manager_.release_all();
            } else {
                manager_.cleanup();
            }
        }

      private:
        const LocalManager& manager_;
        int exceptions_;
    };

    // Tries every release; returns the first exception (null when none threw).
    std::exception_ptr release_all() const noexcept;

    std::vector<std::function<void()>> releasers_;
};

} // namespace ctxvar
