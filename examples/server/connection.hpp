// One connection's bytes and requests, apart from how its runtime reads and writes: the bytes
// that arrived and were not parsed yet, the answers that need no view, and the connection loop
// for the runtimes whose flows block (fibers and greenlets; the coroutine runtime has the same
// loop with co_await).
#pragma once

#include "http.hpp"

#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <string>

namespace server {

class Connection {
  public:
    // The request (or bad request) at the front of what arrived, taken out of the buffer; or
    // need_more.
    Parsed next();
    // Where the next read goes (at least 4 KiB), and how much of it a read filled.
    std::span<char> read_space();
    void received(std::size_t bytes) { end_ += bytes; }

  private:
    std::string buffer_;
    std::size_t begin_ = 0; // parsed up to here
    std::size_t end_ = 0;   // received up to here
};

// The answer to a bad request, or to one no view serves (answer_without_view); an empty
// optional when the view must run.
std::optional<Response> answer_first(Parsed& parsed);

// What a view that threw gets: a 500, and the connection closes.
Response internal_error(const std::exception_ptr& error);

// Settles what a response does to its connection (a request without keep-alive closes it) and
// counts it.
void settle(Response& response, const Parsed& parsed);

// The loop of one connection, for a runtime whose flows block: `stream` has
// `std::size_t read_some(std::span<char>)` (0 at the end or on an error) and
// `bool write(const std::string&)`; `serve_view(Request&)` returns the view's response.
template <class Stream, class ServeView>
void serve_connection(Stream& stream, ServeView&& serve_view) {
    Connection connection;
    for (;;) {
        Parsed parsed = connection.next();
        if (parsed.kind == Parsed::need_more) {
            const std::size_t bytes = stream.read_some(connection.read_space());
            if (bytes == 0) {
                return;
            }
            connection.received(bytes);
            continue;
        }
        std::optional<Response> response = answer_first(parsed);
        if (!response) {
            try {
                response = serve_view(parsed.request);
            } catch (const std::exception&) { // others (GreenletExit) end the flow
                response = internal_error(std::current_exception());
            }
        }
        settle(*response, parsed);
        if (!stream.write(response->serialize()) || response->close) {
            return;
        }
    }
}

} // namespace server
