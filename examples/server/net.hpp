// What the three runtimes share around Boost.Asio: the options, the listening sockets, the open
// connections (closed all at once on SIGINT or SIGTERM, so that every flow ends and the server
// can show that nothing is left), and the one line that says where the server listens.
#pragma once

#include "stats.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Options {
    unsigned short port = 8080; // 0: any free port (the first line says which)
    std::string runtime = "fiber";
    int threads = 1;
    bool explicit_view = false; // --explicit: the view without ctxvar, the baseline
};

// The sockets of the open connections of one io_context. Used from the thread that runs it
// only, so no two threads ever touch a socket at once.
class Sockets {
  public:
    Sockets() = default;
    Sockets(const Sockets&) = delete;
    Sockets& operator=(const Sockets&) = delete;

    tcp::socket& adopt(tcp::socket socket);
    void forget(tcp::socket& socket); // closes and destroys it
    void close_all();                 // pending operations end with operation_aborted
    bool empty() const { return open_.empty(); }

  private:
    struct Open {
        std::unique_ptr<tcp::socket> socket;
        OpenConnection counted;
    };
    std::unordered_map<tcp::socket*, Open> open_;
};

// A connection's socket seen from a flow that blocks (a fiber, a greenlet), for
// serve_connection: suspender.suspend(initiate) runs initiate(resume) and returns once a
// completion handler has called resume().
template <class Suspender>
class BlockingStream {
  public:
    BlockingStream(Suspender& suspender, tcp::socket& socket)
        : suspender_(suspender), socket_(socket) {}

    // The bytes read; 0 at the end of the stream or on an error.
    std::size_t read_some(std::span<char> space) {
        boost::system::error_code error;
        std::size_t bytes = 0;
        suspender_.suspend([&](auto resume) {
            socket_.async_read_some(asio::buffer(space.data(), space.size()),
                                    [&, resume = std::move(resume)](boost::system::error_code e,
                                                                    std::size_t n) mutable {
                                        error = e;
                                        bytes = n;
                                        resume();
                                    });
        });
        return error ? 0 : bytes;
    }
    bool write(const std::string& bytes) {
        boost::system::error_code error;
        suspender_.suspend([&](auto resume) {
            asio::async_write(
                socket_, asio::buffer(bytes),
                [&, resume = std::move(resume)](boost::system::error_code e, std::size_t) mutable {
                    error = e;
                    resume();
                });
        });
        return !error;
    }

  private:
    Suspender& suspender_;
    tcp::socket& socket_;
};

// What one io_context listens with: an acceptor on 127.0.0.1:port, the sockets of the
// connections it accepted, and the first SIGINT or SIGTERM, which closes the acceptor and every
// one of those sockets (on the io_context's thread), so that every flow ends. With share_port
// several listeners (one per io_context) share the port (SO_REUSEPORT) and the kernel spreads
// the connections over them.
class Listener {
  public:
    Listener(asio::io_context& io, unsigned short port, bool share_port);
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    tcp::acceptor& acceptor() { return acceptor_; }
    Sockets& sockets() { return sockets_; }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }

  private:
    tcp::acceptor acceptor_;
    Sockets sockets_;
    asio::signal_set signals_; // last: its handler uses the others
};

// Prints "listening on 127.0.0.1:PORT runtime=... threads=N mode=context|explicit" to stdout.
void announce(unsigned short port, const Options& options);

// Makes options.threads PerThread servers, each constructed from (port, share_port) (the first
// binds options.port; the others share the port it got), says where they listen, runs each one's
// run() on a thread of its own (the first on this one) and returns when they all have.
template <class PerThread>
void run_per_thread(const Options& options) {
    std::vector<std::unique_ptr<PerThread>> servers;
    // SO_REUSEPORT only when there are several: a single server then cannot end up sharing
    // its port with a stale one of the same user.
    const bool share_port = options.threads > 1;
    servers.push_back(std::make_unique<PerThread>(options.port, share_port));
    const unsigned short port = servers.front()->port();
    for (int i = 1; i < options.threads; ++i) {
        servers.push_back(std::make_unique<PerThread>(port, share_port));
    }
    announce(port, options);
    std::vector<std::thread> others;
    for (std::size_t i = 1; i < servers.size(); ++i) {
        others.emplace_back([&server = *servers[i]] { server.run(); });
    }
    servers.front()->run();
    for (std::thread& other : others) {
        other.join();
    }
}

} // namespace server
