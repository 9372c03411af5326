// Two requests served by greenlets that interleave, each with its own context: a LocalStack and
// its proxy give each handler its own `request`, as Flask's do. Built and run as a Meson test.
#include <ctxvar/ctxvar.hpp>
#include <ctxvar/fibers/greenlet.hpp>

#include <any>
#include <cstdio>
#include <memory>
#include <string>

namespace {

struct Request {
    std::string path;
};

ctxvar::LocalStack<Request*> request_stack;
ctxvar::LocalProxy<Request> request{request_stack};

// Gives the other greenlets a turn; comes back here with this greenlet's context current.
void pause() {
    auto parent = ctxvar::fibers::Greenlet::current()->parent();
    parent->switch_to();
}

std::string handle(Request& incoming) {
    request_stack.push(&incoming);
    pause(); // the other request runs now, with its own stack
    std::string answer = "served " + request->path;
    request_stack.pop();
    return answer;
}

} // namespace

int main() {
    using ctxvar::fibers::Greenlet;
    Request a{"/a"};
    Request b{"/b"};
    auto serve = [](Request& r) {
        auto g = Greenlet::create([&r](std::any) { return handle(r); });
        g->set_context(ctxvar::Context{}); // a fresh context per request
        return g;
    };
    auto first = serve(a);
    auto second = serve(b);
    first->switch_to(); // each pushes its request and pauses
    second->switch_to();
    const auto answer_a = std::any_cast<std::string>(first->switch_to());
    const auto answer_b = std::any_cast<std::string>(second->switch_to());
    std::printf("%s\n%s\n", answer_a.c_str(), answer_b.c_str());
    return answer_a == "served /a" && answer_b == "served /b" && !request.is_bound() ? 0 : 1;
}
