// The README's locals example: a Flask-style `request` proxy and `g` namespace, served by a
// handler that a LocalManager cleans up after every request, on several threads at once.
#include <ctxvar/ctxvar.hpp>

#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

struct Request {
    std::string path;
    std::map<std::string, std::string> headers;
};

// Declared once, used from every thread (or fiber, or task): each sees its own request.
ctxvar::LocalStack<Request*> request_stack;
ctxvar::LocalProxy<Request> request{request_stack, "Working outside of request context."};
ctxvar::Local g;
ctxvar::LocalManager locals{request_stack, g};

std::string current_user() {
    return g.get<std::string>("user");
}

// A view, as in Flask: no request parameter; it reads the proxy and `g`.
std::string view() {
    g.set("user", request->headers.at("user"));
    request->headers["handled"] = "yes"; // the proxy reaches the mutable request object
    return request->path + " for " + current_user();
}

// The server's dispatch: push the request, call the view, and let the middleware clean up.
auto dispatch = locals.middleware([](Request& r) {
    request_stack.push(&r);
    return view();
});

int main() {
    std::vector<Request> requests{{"/cart", {{"user", "ann"}}}, {"/orders", {{"user", "bob"}}}};
    std::mutex out;
    {
        std::vector<ctxvar::Thread> workers;
        for (Request& r : requests) {
            workers.emplace_back([&r, &out] {
                const std::string answer = dispatch(r);
                const std::lock_guard lock(out);
                std::cout << answer << '\n';
            });
        }
    }
    try {
        static_cast<void>(request->path); // no request here: the proxy is unbound
    } catch (const ctxvar::UnboundError& e) {
        std::cout << e.what() << '\n';
    }
    return requests[0].headers.at("handled") == "yes" && !request.is_bound() ? 0 : 1;
}
