// ctxvar::coro::Executor: what spawn and resume_on need from an executor: a post() that runs a
// job later, on a thread of its own choosing. Also InlineExecutor, which runs it at once.
#pragma once

#include <ctxvar/bind_context.hpp>

#include <coroutine>

namespace ctxvar::coro {

// The job ctxvar posts: resumes one coroutine. Copyable and two words, so that it fits the
// small buffer of a std::function.
struct ResumeJob {
    std::coroutine_handle<> coroutine;
    void operator()() const { coroutine.resume(); }
};

// An executor runs each posted job exactly once, on some thread, or throws from post() and
// runs nothing. ThreadPool is one; anything with such a post() is one (wrap a Boost.Asio
// executor in a struct whose post calls boost::asio::post).
template <class E>
concept Executor = requires(E& executor, ResumeJob job) {
    executor.post(job);
};

// Runs each job inside post(), on the calling thread.
struct InlineExecutor {
    template <class F>
    void post(F&& job) const {
        job();
    }
};

// Plain callbacks handed to an executor keep a context through ctxvar::bind_context, e.g.
// `pool.post(ctxvar::bind_context(callback))` runs the callback in a copy of the context
// current at the post.
using ctxvar::bind_context;

} // namespace ctxvar::coro
