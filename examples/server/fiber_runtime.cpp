// --runtime=fiber: a Boost.Fiber fiber per connection, on ctxvar's context-aware work_stealing
// scheduler over --threads threads (plain work_stealing with --explicit). One more thread, the
// io thread, runs the io_context that every socket belongs to: a fiber hands it each socket
// operation and blocks on a Boost.Fiber future until the completion arrives, so a fiber never
// blocks its thread, and no socket is ever touched by two threads.
#include "connection.hpp"
#include "runtime_view.hpp"
#include "runtimes.hpp"

#include <ctxvar/fibers/scheduler.hpp>
#include <ctxvar/fibers/stack.hpp>

#include <boost/asio/post.hpp>
#include <boost/fiber/algo/work_stealing.hpp>
#include <boost/fiber/all.hpp>

#include <chrono>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace server {

namespace {

namespace bf = boost::fibers;
using boost::system::error_code;

class IoThread {
  public:
    asio::io_context& context() { return io_; }
    void start() {
        thread_ = std::thread([this] { io_.run(); });
    }
    // Once every fiber is done: lets run() return when its last handler has run.
    void finish() {
        work_.reset();
        thread_.join();
    }

    // Runs initiate(resume) on the io thread and blocks the calling fiber (not its thread)
    // until a completion handler there calls resume().
    template <class Initiate>
    void suspend(Initiate initiate) {
        bf::promise<void> promise;
        bf::future<void> resumed = promise.get_future();
        asio::post(io_, [&initiate, promise = std::move(promise)]() mutable {
            initiate([promise = std::move(promise)]() mutable { promise.set_value(); });
        });
        resumed.get();
    }

  private:
    asio::io_context io_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
    std::thread thread_;
};

// The fibers' stacks: guarded, mmap()ed, and kept for reuse when a fiber ends (on any thread),
// so that a run of 256 connections leaves the next run nothing to map, and the heap no stacks
// to fragment (Boost.Fiber's default allocator mallocs each one).
ctxvar::fibers::PooledStackAllocator fiber_stacks() {
    static const ctxvar::fibers::PooledStackAllocator stacks(128 * 1024, 1024);
    return stacks;
}

// The view, its child a fiber of its own (which starts in a copy of this fiber's context).
template <class View>
Response serve_view(Request& incoming) {
    View view(incoming);
    bf::future<std::string> child =
        bf::async(bf::launch::post, std::allocator_arg, fiber_stacks(),
                  [job = view.child_job(), delay = view.child_delay_ms()] {
                      boost::this_fiber::yield();
                      if (delay > 0) {
                          boost::this_fiber::sleep_for(std::chrono::milliseconds(delay));
                      }
                      return job();
                  });
    return view.finish(child.get());
}

template <class View>
class FiberServer {
  public:
    explicit FiberServer(const Options& options)
        : threads_(options.threads), listener_(io_.context(), options.port, false) {
        announce(listener_.port(), options);
    }

    void run() {
        io_.start();
        std::vector<std::thread> others;
        for (int i = 1; i < threads_; ++i) {
            others.emplace_back([this] { work(false); });
        }
        work(true);
        for (std::thread& other : others) {
            other.join();
        }
        io_.finish();
    }

  private:
    // A worker thread: joins the scheduler; the first accepts, all run fibers until the last
    // connection is gone.
    void work(bool accepts) {
        // Boost 1.81's work_stealing needs a second thread to steal from: with one, its
        // pick_next looks for a victim other than itself forever. One thread gets round_robin.
        if (threads_ == 1) {
            install<bf::algo::round_robin>();
        } else {
            install<bf::algo::work_stealing>(threads_, true);
        }
        if (accepts) {
            accept_all();
        }
        std::unique_lock lock(mutex_);
        all_done_.wait(lock, [this] { return !accepting_ && live_ == 0; });
    }

    void accept_all() {
        while (tcp::socket* socket = accept()) {
            {
                std::lock_guard lock(mutex_);
                ++live_;
            }
            bf::fiber(std::allocator_arg, fiber_stacks(), [this, socket] {
                try {
                    BlockingStream stream(io_, *socket);
                    serve_connection(stream, serve_view<View>);
                } catch (const std::exception& e) { // out of memory: the others go on
                    log(std::string("connection ended: ") + e.what());
                }
                io_.suspend([&](auto resume) { // closed and destroyed where it lives
                    listener_.sockets().forget(*socket);
                    resume();
                });
                std::lock_guard lock(mutex_);
                --live_;
                all_done_.notify_all();
            }).detach();
        }
        std::lock_guard lock(mutex_);
        accepting_ = false;
        all_done_.notify_all();
    }

    template <class Algorithm, class... Args>
    static void install(Args... args) {
        if constexpr (View::through_context) {
            ctxvar::fibers::use_context_scheduler<Algorithm>(args...);
        } else {
            bf::use_scheduling_algorithm<Algorithm>(args...);
        }
    }

    // The next connection's socket (adopted by listener_.sockets()), or nullptr once the acceptor
    // closed.
    tcp::socket* accept() {
        for (;;) {
            tcp::socket* accepted = nullptr;
            bool closed = false;
            io_.suspend([&](auto resume) {
                listener_.acceptor().async_accept(
                    [&, resume = std::move(resume)](error_code error, tcp::socket socket) mutable {
                        closed = !listener_.acceptor().is_open();
                        if (!error && !closed) {
                            accepted = &listener_.sockets().adopt(std::move(socket));
                        }
                        resume();
                    });
            });
            if (accepted != nullptr || closed) {
                return accepted;
            }
            // A connection that failed before it was accepted, or out of files: go on, after a
            // pause (the listening socket stays readable while the process is out of files).
            boost::this_fiber::sleep_for(std::chrono::milliseconds(10));
        }
    }

    const int threads_;
    IoThread io_;
    Listener listener_; // touched on the io thread only

    bf::mutex mutex_;
    bf::condition_variable_any all_done_;
    bool accepting_ = true;
    int live_ = 0; // connection fibers not yet done
};

} // namespace

void run_fibers(const Options& options) {
    if (options.explicit_view) {
        FiberServer<ExplicitView>(options).run();
    } else {
        FiberServer<ContextView>(options).run();
    }
}

} // namespace server
