// The README's example: a request id kept in a context variable, isolated per thread and per
// copied context, restored by a scoped set, and handed to work that runs later elsewhere.
#include <ctxvar/ctxvar.hpp>

#include <iostream>
#include <string>

ctxvar::ContextVar<std::string> request_id{"request_id", "-"};

void log(const std::string& message) {
    // The id comes from the context, not from a parameter.
    std::cout << "[" << request_id.get() << "] " << message << '\n';
}

void handle(const std::string& id) {
    auto scope = request_id.scoped(id); // reset when the scope ends, exceptions included
    log("handling");
    ctxvar::Thread worker{[] { log("in a worker: a copy of the handler's context"); }};
    worker.join();
}

int main() {
    log("before any request");
    handle("req-1");
    log("after the request: the default again");

    // A callback bound now runs later in a copy of today's context.
    auto token = request_id.set("req-2");
    auto callback = ctxvar::bind_context([] { log("bound callback"); });
    request_id.reset(token);
    callback();

    // A context object is a snapshot that can be entered.
    ctxvar::Context ctx;
    ctx.run([] { request_id.set("req-3"); });
    std::cout << "ctx holds " << ctx.at(request_id) << "; current: " << request_id.get() << '\n';
}
