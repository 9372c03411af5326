// The application the three runtimes serve, written as a Flask app is: a `request` proxy over a
// LocalStack, a `g` Local for per-request scratch values, a request id in a ContextVar that log
// lines read from the context, and a LocalManager that cleans up after each request.
//
// The view runs in three steps, because how a handler waits for a child differs by runtime (a
// fiber blocks, a coroutine co_awaits): hello_begin(), then a child fiber or task that runs
// hello_child() after a yield in a copy of the view's context, then hello_end() with what the
// child read. runtime_view.hpp puts them together with the request scope.
#pragma once

#include "http.hpp"

#include <ctxvar/context_var.hpp>
#include <ctxvar/local.hpp>
#include <ctxvar/local_manager.hpp>
#include <ctxvar/local_proxy.hpp>
#include <ctxvar/local_stack.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace server {

// A request id as the context variable holds it. Each object made from a request counts itself
// in Stats::live_request_ids while it lives, so the server can show that no context keeps a
// request's id once the request is done (the variable's default, "-", is not counted).
class RequestId {
  public:
    RequestId() = default; // "-": no request
    explicit RequestId(std::string text);
    RequestId(const RequestId& other);
    RequestId& operator=(const RequestId&) = delete;
    ~RequestId();
    const std::string& text() const noexcept { return text_; }

  private:
    std::string text_ = "-";
    bool counted_ = false;
};

extern const ctxvar::ContextVar<RequestId> request_id;
extern const ctxvar::LocalStack<Request*> request_stack;
extern const ctxvar::LocalProxy<Request> request;
extern const ctxvar::Local g;
extern const ctxvar::LocalManager locals;

// Where log lines go: stderr unless main says otherwise; nullptr logs nothing.
extern std::FILE* log_file;
// Writes "[<request id>] <message>", the id read from the current context.
void log(std::string_view message);

// What the server answers without a view: GET /stats, and a request whose X-Request-Id is not
// an id (400). An empty optional for a request the view serves.
std::optional<Response> answer_without_view(const Request& request);

// The request id a request asks for (its X-Request-Id), or a new one ("gen-<n>").
std::string id_for(const Request& request);

// How long the child sleeps after its yield: the request's ?delay_ms=N, 0 without one.
int child_delay_ms(const Request& request);

// The view, as Flask would have it: no parameters; it reads `request`, `g` and `request_id`.
void hello_begin();
std::string hello_child(); // in the child, after its yield
Response hello_end(const std::string& child_saw);

// The same view with everything passed down by hand: the baseline --explicit measures
// ctxvar against. `Scratch` stands in for `g`.
struct Scratch {
    int counter = 0;
};
void log(const std::string& id, std::string_view message);
void hello_begin(const Request& request, Scratch& scratch, const std::string& id);
std::string hello_child(const std::string& id);
Response hello_end(const Request& request, Scratch& scratch, const std::string& id,
                   const std::string& child_saw);

} // namespace server
