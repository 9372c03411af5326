#include "net.hpp"

#include <boost/asio/detail/socket_option.hpp>
#include <boost/asio/socket_base.hpp>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>

namespace server {

tcp::socket& Sockets::adopt(tcp::socket socket) {
    auto owned = std::make_unique<tcp::socket>(std::move(socket));
    tcp::socket& adopted = *owned;
    open_[&adopted].socket = std::move(owned); // Open is built in place: it counts itself
    return adopted;
}

void Sockets::forget(tcp::socket& socket) {
    boost::system::error_code ignored;
    socket.close(ignored);
    open_.erase(&socket);
}

void Sockets::close_all() {
    for (auto& [socket, open] : open_) {
        boost::system::error_code ignored;
        socket->close(ignored);
    }
}

namespace {

tcp::acceptor listen(asio::io_context& io, unsigned short port, bool share_port) {
    using reuse_port_option = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
    tcp::acceptor acceptor(io);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    if (share_port) {
        acceptor.set_option(reuse_port_option(true));
    }
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    return acceptor;
}

} // namespace

Listener::Listener(asio::io_context& io, unsigned short port, bool share_port)
    : acceptor_(listen(io, port, share_port)), signals_(io, SIGINT, SIGTERM) {
    signals_.async_wait([this](const boost::system::error_code& error, int) {
        if (!error) {
            boost::system::error_code ignored;
            acceptor_.close(ignored);
            sockets_.close_all();
        }
    });
}

void announce(unsigned short port, const Options& options) {
    std::printf("listening on 127.0.0.1:%u runtime=%s threads=%d mode=%s\n", unsigned{port},
                options.runtime.c_str(), options.threads,
                options.explicit_view ? "explicit" : "context");
    std::fflush(stdout);
}

} // namespace server
