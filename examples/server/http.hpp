// The server's HTTP/1.1: a request parser that works on whatever bytes have arrived, and the
// response's wire form. Keep-alive, pipelining and Content-Length bodies; no chunked bodies (a
// request with Transfer-Encoding gets a 501 and the connection closes).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace server {

struct Request {
    std::string method;
    std::string target; // as sent, query included
    std::string path;   // the target without its query
    std::string query;  // after '?', or empty
    int minor_version = 1;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool keep_alive = true;

    // The first header of that name (names compare case-insensitively), or nullptr.
    const std::string* header(std::string_view name) const;
    // The value of query parameter `name`, or an empty optional.
    std::optional<std::string> query_parameter(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool close = false;     // the connection closes after this response
    bool omit_body = false; // the answer to a HEAD: Content-Length says the body's size only

    // A response with a text/plain body that says why.
    static Response error(int status, std::string why, bool close);
    // The bytes to send: status line, headers (Content-Length and Connection added), body.
    std::string serialize() const;
};

// What the next bytes of a connection hold.
struct Parsed {
    enum Kind {
        need_more, // an incomplete request: read more and parse again
        complete,  // `request` holds a whole request
        bad,       // `response` says what was wrong (its `close` says if the stream can go on)
    } kind = need_more;
    std::size_t consumed = 0; // bytes of the buffer this request (or bad request) used
    Request request;
    Response response;
};

inline constexpr std::size_t max_header_bytes = 8 * 1024;
inline constexpr std::size_t max_body_bytes = 1024 * 1024;

// Parses the request at the start of `buffer`.
Parsed parse_request(std::string_view buffer);

} // namespace server
