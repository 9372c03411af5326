#include "app.hpp"

#include "stats.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>

namespace server {

RequestId::RequestId(std::string text) : text_(std::move(text)), counted_(true) {
    ++Stats::live_request_ids;
}

RequestId::RequestId(const RequestId& other) : text_(other.text_), counted_(other.counted_) {
    if (counted_) {
        ++Stats::live_request_ids;
    }
}

RequestId::~RequestId() {
    if (counted_) {
        --Stats::live_request_ids;
    }
}

const ctxvar::ContextVar<RequestId> request_id("request_id", RequestId{});
const ctxvar::LocalStack<Request*> request_stack;
const ctxvar::LocalProxy<Request> request{request_stack, "Working outside of request context."};
const ctxvar::Local g;
const ctxvar::LocalManager locals{request_stack, g};

std::FILE* log_file = stderr;

void log(std::string_view message) {
    log(request_id.get().text(), message);
}

void log(const std::string& id, std::string_view message) {
    if (log_file != nullptr) {
        // One call per line: stdio keeps lines from different threads whole.
        std::fprintf(log_file, "[%s] %.*s\n", id.c_str(), static_cast<int>(message.size()),
                     message.data());
    }
}

std::string Stats::text(char separator) {
    std::string out;
    auto add = [&](const char* name, const std::atomic<long>& value) {
        out.append(out.empty() ? "" : std::string(1, separator)).append(name).append("=");
        out.append(std::to_string(value.load()));
    };
    add("connections_open", connections_open);
    add("requests_in_flight", requests_in_flight);
    add("live_request_ids", live_request_ids);
    add("requests", requests);
    add("bad_requests", bad_requests);
    return out;
}

bool Stats::clean() {
    return connections_open == 0 && requests_in_flight == 0 && live_request_ids == 0;
}

namespace {

bool is_id(const std::string& text) {
    return !text.empty() && text.size() <= 128 && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '.' || c == '_' || c == ':' || c == '-';
    });
}

Response text_response(std::string body) {
    Response response;
    response.headers.emplace_back("Content-Type", "text/plain");
    response.body = std::move(body);
    return response;
}

} // namespace

std::optional<Response> answer_without_view(const Request& request) {
    if (request.path == "/stats") {
        return text_response(Stats::text('\n') + "\n");
    }
    const std::string* id = request.header("X-Request-Id");
    if (id != nullptr && !is_id(*id)) {
        return Response::error(400, "X-Request-Id is not 1 to 128 of [A-Za-z0-9._:-]", false);
    }
    const auto delay = request.query_parameter("delay_ms");
    if (delay && child_delay_ms(request) < 0) {
        return Response::error(400, "delay_ms is not a number of milliseconds up to 10000", false);
    }
    return std::nullopt;
}

std::string id_for(const Request& request) {
    static std::atomic<unsigned long> generated{0};
    const std::string* id = request.header("X-Request-Id");
    return id != nullptr ? *id : "gen-" + std::to_string(++generated);
}

int child_delay_ms(const Request& request) {
    const auto delay = request.query_parameter("delay_ms");
    if (!delay) {
        return 0;
    }
    int ms = 0;
    const auto [end, ec] = std::from_chars(delay->data(), delay->data() + delay->size(), ms);
    return ec == std::errc{} && end == delay->data() + delay->size() && ms >= 0 && ms <= 10000 ? ms
                                                                                               : -1;
}

// ---- The view, through the context ----

void hello_begin() {
    // A per-request counter in `g`: 1 here, 2 at the end. If the LocalManager did not clean up,
    // the next request on this connection would start from 2.
    const int* counter = g.get_if<int>("counter");
    g.set("counter", (counter != nullptr ? *counter : 0) + 1);
    log(request->method + " " + request->target);
}

std::string hello_child() {
    log("child reads the request id");
    return request_id.get().text();
}

Response hello_end(const std::string& child_saw) {
    const int counter = g.get<int>("counter") + 1;
    g.set("counter", counter);
    Response response = text_response("hello " + request->path + "\n");
    response.headers.emplace_back("X-Request-Id", request_id.get().text());
    response.headers.emplace_back("X-Child-Saw", child_saw);
    response.headers.emplace_back("X-Counter", std::to_string(counter));
    log("200, the child saw " + child_saw);
    return response;
}

// ---- The same view, everything passed by hand ----

void hello_begin(const Request& request, Scratch& scratch, const std::string& id) {
    ++scratch.counter;
    log(id, request.method + " " + request.target);
}

std::string hello_child(const std::string& id) {
    log(id, "child reads the request id");
    return id;
}

Response hello_end(const Request& request, Scratch& scratch, const std::string& id,
                   const std::string& child_saw) {
    const int counter = ++scratch.counter;
    Response response = text_response("hello " + request.path + "\n");
    response.headers.emplace_back("X-Request-Id", id);
    response.headers.emplace_back("X-Child-Saw", child_saw);
    response.headers.emplace_back("X-Counter", std::to_string(counter));
    log(id, "200, the child saw " + child_saw);
    return response;
}

} // namespace server
