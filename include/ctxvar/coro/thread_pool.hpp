// ctxvar::coro::ThreadPool: a small fixed-size pool of threads, an Executor for spawn and
// resume_on.
#pragma once

#include <ctxvar/switch.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ctxvar::coro {

// Runs posted jobs first in, first out on `threads` threads. Each job starts with no current
// context (variables read their defaults), and whatever context a plain job leaves current is
// released after it, so jobs never see each other's sets: bind a callback with bind_context to
// run it in a context, and a task's resumption brings its own. A job must not throw
// (std::terminate, as in std::thread).
//
// The destructor runs every job already posted (and those they post meanwhile), then joins the
// threads; a post once every thread has exited throws std::logic_error. A task still suspended then
// is not resumed by this pool: join what you spawn before the pool goes.
class ThreadPool {
  public:
    explicit ThreadPool(std::size_t threads = std::max(1u, std::thread::hardware_concurrency())) {
        if (threads == 0) {
            throw std::invalid_argument("ctxvar::coro::ThreadPool: zero threads");
        }
        workers_.reserve(threads);
        try {
            for (std::size_t i = 0; i < threads; ++i) {
                workers_.emplace_back([this] { work(); });
                std::lock_guard lock(mutex_);
                ++running_;
            }
        } catch (...) {
            stop();
            throw;
        }
    }
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    ~ThreadPool() { stop(); }

    // Queues `job` (a void() callable, copied into a std::function). Thread-safe.
    template <class F>
    void post(F&& job) {
        std::lock_guard lock(mutex_);
        if (running_ == 0) {
            throw std::logic_error("ctxvar::coro::ThreadPool: post after shutdown");
        }
        jobs_.emplace_back(std::forward<F>(job));
        // Under the lock: once the job is queued, it may run, end a task, and let its joiner
        // destroy this pool before an unlocked notify would have touched ready_.
        ready_.notify_one();
    }

    std::size_t size() const noexcept { return workers_.size(); }

  private:
    void work() noexcept {
        std::unique_lock lock(mutex_);
        for (;;) {
            ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) {
                --running_; // stopping, and nothing left: a post now goes to another worker
                return;     // (one still running a job comes back for it), or throws
            }
            std::function<void()> job = std::move(jobs_.front());
            jobs_.pop_front();
            lock.unlock();
            job();
            job = nullptr;
            // What a plain job left current goes now, before the lock is taken again (a task's
            // resumption leaves nothing).
            static_cast<void>(switch_context(SavedContext()));
            lock.lock();
        }
    }

    void stop() noexcept {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        workers_.clear(); // joins
    }

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::size_t running_ = 0; // workers that have not exited: post throws once none is left
    std::vector<std::jthread> workers_;
};

} // namespace ctxvar::coro
