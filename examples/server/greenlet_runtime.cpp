// --runtime=greenlet: gevent's shape. Each of --threads threads has an io_context, an acceptor
// on the shared port and a hub greenlet that runs the io_context. A connection is a greenlet
// whose parent is the hub: it starts an asio operation and switches to the hub, and the
// operation's completion handler (run by the hub) switches back to it. Each connection greenlet
// starts in a new, empty context, as a gevent greenlet does.
#include "connection.hpp"
#include "runtime_view.hpp"
#include "runtimes.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/fibers/greenlet.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <any>
#include <chrono>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

namespace server {

namespace {

using boost::system::error_code;
using ctxvar::fibers::Greenlet;

class Hub {
  public:
    explicit Hub(asio::io_context& io)
        : io_(io), greenlet_(Greenlet::create([this](std::any) { io_.run(); })) {}

    asio::io_context& context() { return io_; }

    // From the thread's main greenlet: runs the io_context in the hub until it has no work.
    void run() { greenlet_->switch_to(); }

    // A greenlet whose parent is the hub, not started yet.
    template <class F>
    std::shared_ptr<Greenlet> create(F&& fn) {
        return Greenlet::create(std::allocator_arg, stacks_, std::forward<F>(fn), greenlet_);
    }

    // Starts `greenlet` (its parent must be the hub) on the hub's next turn.
    void start(std::shared_ptr<Greenlet> greenlet) {
        asio::post(io_, [greenlet = std::move(greenlet)] { greenlet->switch_to(); });
    }

    // Runs initiate(resume) and switches to the hub until a completion handler calls resume().
    template <class Initiate>
    void suspend(Initiate initiate) {
        initiate([self = Greenlet::current()] { self->switch_to(); });
        greenlet_->switch_to();
    }

    // Lets every greenlet that is ready run first.
    void yield() {
        suspend([this](auto resume) { asio::post(io_, std::move(resume)); });
    }

    void sleep(std::chrono::milliseconds time) {
        asio::steady_timer timer(io_, time);
        suspend([&](auto resume) {
            timer.async_wait([resume = std::move(resume)](error_code) { resume(); });
        });
    }

    std::shared_ptr<Greenlet> greenlet() const { return greenlet_; }

  private:
    asio::io_context& io_;
    std::shared_ptr<Greenlet> greenlet_;
    // Room for a stack per connection and one per child: under 256 connections up to 512
    // greenlets live at once, and the default pool (64 kept) would unmap and map stacks anew.
    ctxvar::fibers::StackAllocator stacks_ =
        ctxvar::fibers::PooledStackAllocator(ctxvar::fibers::default_stack_size, 1024);
};

// The view, its child a greenlet of its own in a copy of this greenlet's context; this one
// waits in the hub until the child is done.
template <class View>
Response serve_view(Hub& hub, Request& incoming) {
    View view(incoming);
    std::string child_saw;
    std::exception_ptr child_failed;
    auto child = hub.create([&, job = view.child_job(), delay = view.child_delay_ms(),
                             parent = Greenlet::current()](std::any) {
        try {
            hub.yield();
            if (delay > 0) {
                hub.sleep(std::chrono::milliseconds(delay));
            }
            child_saw = job();
        } catch (...) {
            child_failed = std::current_exception();
        }
        hub.start(parent); // the parent waits in the hub
    });
    if constexpr (View::through_context) {
        child->set_context(ctxvar::copy_context());
    }
    hub.start(child);
    hub.greenlet()->switch_to(); // back when the child has started the parent again
    if (child_failed) {
        std::rethrow_exception(child_failed);
    }
    return view.finish(child_saw);
}

template <class View>
class GreenletThread {
  public:
    GreenletThread(unsigned short port, bool share_port) : listener_(io_, port, share_port) {}

    unsigned short port() const { return listener_.port(); }

    void run() {
        Hub hub(io_);
        auto accepting = hub.create([&](std::any) { accept_all(hub); });
        hub.start(accepting);
        hub.run();
    }

  private:
    void accept_all(Hub& hub) {
        for (;;) {
            error_code error;
            std::optional<tcp::socket> accepted;
            hub.suspend([&](auto resume) {
                listener_.acceptor().async_accept([&, resume](error_code e, tcp::socket socket) {
                    error = e;
                    accepted.emplace(std::move(socket));
                    resume();
                });
            });
            if (!listener_.acceptor().is_open()) {
                return;
            }
            if (error) { // a connection that failed before it was accepted, or out of files:
                hub.sleep(std::chrono::milliseconds(10)); // not a busy loop
                continue;
            }
            tcp::socket& socket = listener_.sockets().adopt(std::move(*accepted));
            auto connection = hub.create([this, &hub, &socket](std::any) {
                try {
                    BlockingStream stream(hub, socket);
                    serve_connection(stream,
                                     [&hub](Request& r) { return serve_view<View>(hub, r); });
                } catch (const std::exception& e) { // out of memory: the others go on
                    log(std::string("connection ended: ") + e.what());
                }
                listener_.sockets().forget(socket);
            });
            if constexpr (View::through_context) {
                connection->set_context(ctxvar::Context{});
            }
            hub.start(std::move(connection));
        }
    }

    asio::io_context io_{1};
    Listener listener_;
};

} // namespace

void run_greenlets(const Options& options) {
    if (options.explicit_view) {
        run_per_thread<GreenletThread<ExplicitView>>(options);
    } else {
        run_per_thread<GreenletThread<ContextView>>(options);
    }
}

} // namespace server
