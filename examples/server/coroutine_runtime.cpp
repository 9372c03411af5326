// --runtime=coroutine: a ctxvar::coro task per connection. Each of --threads threads has an
// io_context, an acceptor on the shared port and an executor that posts to that io_context.
// Asio's completions resume the tasks through a small awaitable; the task itself (not this
// file) takes its context down before the operation starts and puts it back on resumption, so
// the code here never handles a context. With --explicit the tasks are
// BasicTask<T, false>: the same tasks with the context handling compiled out.
#include "connection.hpp"
#include "runtime_view.hpp"
#include "runtimes.hpp"

#include <ctxvar/coro.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <coroutine>
#include <optional>
#include <thread>
#include <vector>

namespace server {

namespace {

using boost::system::error_code;
using ctxvar::coro::BasicTask;

// A ctxvar::coro executor over an io_context: a resumption is a posted handler.
struct IoExecutor {
    asio::io_context* io;
    void post(ctxvar::coro::ResumeJob job) const { asio::post(*io, job); }
};

// Awaits initiate(resume): the coroutine resumes when a completion handler calls resume().
template <class Initiate>
struct Suspend {
    Initiate initiate;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> coroutine) {
        initiate([coroutine] { coroutine.resume(); });
    }
    void await_resume() const noexcept {}
};
template <class Initiate>
Suspend(Initiate) -> Suspend<Initiate>;

template <bool Switching>
BasicTask<std::size_t, Switching> read_some(tcp::socket& socket, std::span<char> space) {
    error_code error;
    std::size_t bytes = 0;
    co_await Suspend{[&](auto resume) {
        socket.async_read_some(asio::buffer(space.data(), space.size()),
                               [&, resume](error_code e, std::size_t n) {
                                   error = e;
                                   bytes = n;
                                   resume();
                               });
    }};
    co_return error ? 0 : bytes;
}

template <bool Switching>
BasicTask<bool, Switching> write(tcp::socket& socket, const std::string& bytes) {
    error_code error;
    co_await Suspend{[&](auto resume) {
        asio::async_write(socket, asio::buffer(bytes), [&, resume](error_code e, std::size_t) {
            error = e;
            resume();
        });
    }};
    co_return !error;
}

// The child: spawned, so it runs in a copy of the view's context.
template <bool Switching, class Job>
BasicTask<std::string, Switching> child(IoExecutor executor, Job job, int delay) {
    co_await ctxvar::coro::resume_on(executor); // a yield: the queued handlers run first
    if (delay > 0) {
        asio::steady_timer timer(*executor.io, std::chrono::milliseconds(delay));
        co_await Suspend{
            [&](auto resume) { timer.async_wait([resume](error_code) { resume(); }); }};
    }
    co_return job();
}

template <class View, bool Switching = View::through_context>
BasicTask<Response, Switching> serve_view(IoExecutor executor, Request& incoming) {
    View view(incoming);
    auto handle = ctxvar::coro::spawn(
        executor, child<Switching>(executor, view.child_job(), view.child_delay_ms()));
    const std::string child_saw = co_await handle;
    co_return view.finish(child_saw);
}

// serve_connection (connection.hpp) with co_await.
template <class View, bool Switching = View::through_context>
BasicTask<void, Switching> serve(IoExecutor executor, Sockets& sockets, tcp::socket& socket) {
    try {
        Connection connection;
        for (;;) {
            Parsed parsed = connection.next();
            if (parsed.kind == Parsed::need_more) {
                const std::size_t bytes =
                    co_await read_some<Switching>(socket, connection.read_space());
                if (bytes == 0) {
                    break;
                }
                connection.received(bytes);
                continue;
            }
            std::optional<Response> response = answer_first(parsed);
            if (!response) {
                try {
                    response = co_await serve_view<View>(executor, parsed.request);
                } catch (const std::exception&) {
                    response = internal_error(std::current_exception());
                }
            }
            settle(*response, parsed);
            if (!co_await write<Switching>(socket, response->serialize()) || response->close) {
                break;
            }
        }
    } catch (const std::exception& e) { // out of memory: the connection ends, the server goes on
        log(std::string("connection ended: ") + e.what());
    }
    sockets.forget(socket);
}

template <class View>
class CoroutineThread {
    static constexpr bool switching = View::through_context;

  public:
    CoroutineThread(unsigned short port, bool share_port) : listener_(io_, port, share_port) {}

    unsigned short port() const { return listener_.port(); }

    void run() {
        auto accepting = ctxvar::coro::spawn(executor_, accept_all());
        io_.run();
    }

  private:
    BasicTask<void, switching> accept_all() {
        for (;;) {
            error_code error;
            std::optional<tcp::socket> accepted;
            co_await Suspend{[&](auto resume) {
                listener_.acceptor().async_accept([&, resume](error_code e, tcp::socket socket) {
                    error = e;
                    accepted.emplace(std::move(socket));
                    resume();
                });
            }};
            if (!listener_.acceptor().is_open()) {
                co_return;
            }
            if (error) { // a connection that failed before it was accepted, or out of files:
                asio::steady_timer pause(io_, std::chrono::milliseconds(10)); // not a busy loop
                co_await Suspend{
                    [&](auto resume) { pause.async_wait([resume](error_code) { resume(); }); }};
                continue;
            }
            tcp::socket& socket = listener_.sockets().adopt(std::move(*accepted));
            // Detached (the handle is dropped). A copy of this task's context, which holds
            // nothing.
            static_cast<void>(ctxvar::coro::spawn(
                executor_, serve<View>(executor_, listener_.sockets(), socket)));
        }
    }

    asio::io_context io_{1};
    IoExecutor executor_{&io_};
    Listener listener_;
};

} // namespace

void run_coroutines(const Options& options) {
    if (options.explicit_view) {
        run_per_thread<CoroutineThread<ExplicitView>>(options);
    } else {
        run_per_thread<CoroutineThread<ContextView>>(options);
    }
}

} // namespace server
