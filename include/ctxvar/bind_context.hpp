// ctxvar::bind_context: wraps a callable so that it runs, later and on whatever thread calls it,
// in the context current when it was bound — for executors, thread pools and callbacks.
#pragma once

#include <ctxvar/context.hpp>

#include <type_traits>
#include <utility>

namespace ctxvar {

// The callable bind_context returns. Copyable when F is.
template <class F>
class ContextBound {
  public:
    ContextBound(Context context, F f, bool fresh_copy_per_call)
        : context_(std::move(context)), f_(std::move(f)), fresh_(fresh_copy_per_call) {}

    template <class... Args>
    decltype(auto) operator()(Args&&... args) {
        return call(f_, std::forward<Args>(args)...);
    }
    template <class... Args>
    decltype(auto) operator()(Args&&... args) const {
        return call(f_, std::forward<Args>(args)...);
    }

  private:
    template <class G, class... Args>
    decltype(auto) call(G& f, Args&&... args) const {
        if (fresh_) {
            return context_.copy().run(f, std::forward<Args>(args)...);
        }
        return context_.run(f, std::forward<Args>(args)...);
    }

    Context context_;
    F f_;
    bool fresh_;
};

// A callable that runs f(args...) in a copy of the context current now. Each call gets a new
// context object made from this snapshot in O(1): calls never see each other's sets, and any
// number of threads may call it at once.
template <class F>
[[nodiscard]] ContextBound<std::decay_t<F>> bind_context(F&& f) {
    return ContextBound<std::decay_t<F>>(copy_context(), std::forward<F>(f), true);
}

// A callable that runs f(args...) in `context` itself (entered, as Context::run does): sets made
// by one call are seen by the next, and a call while `context` is entered anywhere throws
// ContextEnteredError.
template <class F>
[[nodiscard]] ContextBound<std::decay_t<F>> bind_context(Context context, F&& f) {
    return ContextBound<std::decay_t<F>>(std::move(context), std::forward<F>(f), false);
}

} // namespace ctxvar
