#include "http.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace server {

namespace {

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
}

// RFC 9110's tchar: what method and header names are made of.
bool is_token(std::string_view text) {
    constexpr std::string_view punctuation = "!#$%&'*+-.^_`|~";
    return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               punctuation.find(c) != std::string_view::npos;
    });
}

bool is_control(char c) {
    return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

const char* reason(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    default:
        return "Unknown";
    }
}

Parsed bad(int status, std::string why, std::size_t consumed, bool close) {
    Parsed parsed;
    parsed.kind = Parsed::bad;
    parsed.consumed = consumed;
    parsed.response = Response::error(status, std::move(why), close);
    return parsed;
}

// Reads "METHOD SP target SP HTTP/1.x" into `request`; says what is wrong, or "".
std::string parse_request_line(std::string_view line, Request& request) {
    const auto first = line.find(' ');
    const auto second = first == line.npos ? line.npos : line.find(' ', first + 1);
    if (second == line.npos) {
        return "the request line is not: method, target, version";
    }
    const std::string_view method = line.substr(0, first);
    const std::string_view target = line.substr(first + 1, second - first - 1);
    const std::string_view version = line.substr(second + 1);
    if (!is_token(method)) {
        return "the method is not a token";
    }
    if (target.empty() || target.front() != '/' ||
        std::any_of(target.begin(), target.end(),
                    [](char c) { return c == ' ' || c == '\t' || is_control(c); })) {
        return "the target is not an absolute path";
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        return "the version is not HTTP/1.0 or HTTP/1.1";
    }
    request.method = method;
    request.target = target;
    const auto question = target.find('?');
    request.path = target.substr(0, question);
    request.query = question == target.npos ? std::string_view{} : target.substr(question + 1);
    request.minor_version = version.back() - '0';
    return {};
}

// Reads "name: value" into `request`; says what is wrong, or "".
std::string parse_header_line(std::string_view line, Request& request) {
    if (line.front() == ' ' || line.front() == '\t') {
        return "a folded header line";
    }
    const auto colon = line.find(':');
    if (colon == line.npos) {
        return "a header line without a colon";
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (!is_token(name)) {
        return "a header name that is not a token";
    }
    if (std::any_of(value.begin(), value.end(), is_control)) {
        return "a control character in a header value";
    }
    request.headers.emplace_back(name, value);
    return {};
}

// Whether a Connection header lists `option` (Connection is a comma-separated list, and may
// come more than once).
bool connection_has(const Request& request, std::string_view option) {
    for (const auto& [name, value] : request.headers) {
        if (!iequal(name, "Connection")) {
            continue;
        }
        std::string_view rest = value;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            if (iequal(trim(rest.substr(0, comma)), option)) {
                return true;
            }
            rest = comma == rest.npos ? std::string_view{} : rest.substr(comma + 1);
        }
    }
    return false;
}

bool keep_alive(const Request& request) {
    if (connection_has(request, "close")) {
        return false;
    }
    return request.minor_version == 1 || connection_has(request, "keep-alive");
}

// Whether a header line that could not be read names a framing header: then where the body
// ends is unknown, and so is where the next request starts.
bool names_framing(std::string_view line) {
    const std::string_view name = trim(line.substr(0, line.find(':')));
    return iequal(name, "Content-Length") || iequal(name, "Transfer-Encoding");
}

} // namespace

const std::string* Request::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequal(key, name)) {
            return &value;
        }
    }
    return nullptr;
}

std::optional<std::string> Request::query_parameter(std::string_view name) const {
    std::string_view rest = query;
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == rest.npos ? std::string_view{} : rest.substr(amp + 1);
        const auto equals = pair.find('=');
        if (pair.substr(0, equals) == name) {
            return std::string(equals == pair.npos ? std::string_view{} : pair.substr(equals + 1));
        }
    }
    return std::nullopt;
}

Response Response::error(int status, std::string why, bool close) {
    Response response;
    response.status = status;
    response.body = std::move(why) + "\n";
    response.headers.emplace_back("Content-Type", "text/plain");
    response.close = close;
    return response;
}

std::string Response::serialize() const {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
    for (const auto& [name, value] : headers) {
        out.append(name).append(": ").append(value).append("\r\n");
    }
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    out.append(close ? "Connection: close\r\n" : "Connection: keep-alive\r\n");
    out.append("\r\n");
    if (!omit_body) {
        out.append(body);
    }
    return out;
}

Parsed parse_request(std::string_view buffer) {
    // Empty lines before a request line are skipped (RFC 9112, 2.2): some clients send a CRLF
    // after a body.
    std::size_t skipped = 0;
    while (buffer.substr(skipped, 2) == "\r\n") {
        skipped += 2;
    }
    if (skipped > 0) {
        Parsed parsed = parse_request(buffer.substr(skipped));
        parsed.consumed += skipped;
        return parsed;
    }
    const auto end = buffer.find("\r\n\r\n");
    if (end == buffer.npos || end + 4 > max_header_bytes) {
        if (end == buffer.npos && buffer.size() < max_header_bytes) {
            return {};
        }
        return bad(431, "the header section is over 8 KiB", buffer.size(), true);
    }
    const std::size_t body_start = end + 4;

    Parsed parsed;
    Request& request = parsed.request;
    std::string problem;
    std::optional<std::size_t> content_length;
    bool content_length_bad = false;
    bool chunked = false;
    std::string_view lines = buffer.substr(0, end + 2); // every line ends with \r\n
    bool first = true;
    while (!lines.empty()) {
        const auto eol = lines.find("\r\n");
        const std::string_view line = lines.substr(0, eol);
        lines.remove_prefix(eol + 2);
        const std::size_t headers_before = request.headers.size();
        std::string wrong = first          ? parse_request_line(line, request)
                            : line.empty() ? "an empty header line"
                                           : parse_header_line(line, request);
        if (!first && !wrong.empty() && names_framing(line)) {
            content_length_bad = true; // closes the connection: the framing is unknown
        }
        first = false;
        if (problem.empty()) {
            problem = std::move(wrong);
        }
        if (request.headers.size() == headers_before) {
            continue;
        }
        // The framing headers count even in a request that is bad otherwise: they say where
        // the next request starts.
        const auto& [name, value] = request.headers.back();
        if (iequal(name, "Transfer-Encoding")) {
            chunked = true;
        } else if (iequal(name, "Content-Length")) {
            std::size_t length = 0;
            const auto [ptr, ec] =
                std::from_chars(value.data(), value.data() + value.size(), length);
            if (value.empty() || ec != std::errc{} || ptr != value.data() + value.size() ||
                (content_length && *content_length != length)) {
                content_length_bad = true;
            }
            content_length = length;
        }
    }

    if (chunked) {
        return bad(501, "Transfer-Encoding is not supported", buffer.size(), true);
    }
    if (content_length_bad) {
        return bad(400, "an invalid Content-Length", buffer.size(), true);
    }
    const std::size_t length = content_length.value_or(0);
    if (length > max_body_bytes) {
        return bad(413, "the body is over 1 MiB", buffer.size(), true);
    }
    if (buffer.size() - body_start < length) {
        return {}; // the body is still coming
    }
    if (!problem.empty()) {
        return bad(400, std::move(problem), body_start + length, !keep_alive(request));
    }
    request.body = buffer.substr(body_start, length);
    request.keep_alive = keep_alive(request);
    parsed.kind = Parsed::complete;
    parsed.consumed = body_start + length;
    return parsed;
}

} // namespace server
