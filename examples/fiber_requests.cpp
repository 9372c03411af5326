// Requests served by Boost.Fiber fibers on two threads sharing their work (shared_work), each
// request in a fiber of its own: a Flask-style `request` proxy over a LocalStack, a request id
// in a ContextVar that log lines read from the context, and a child fiber that inherits a copy.
// Fibers block on a channel and sleep, move between the threads, and still see their own
// request. Built and run as a Meson test.
#include <ctxvar/ctxvar.hpp>
#include <ctxvar/fibers/scheduler.hpp>

#include <boost/fiber/all.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace bf = boost::fibers;

struct Request {
    std::string path;
};

ctxvar::ContextVar<std::string> request_id("request_id", "-");
ctxvar::LocalStack<Request*> request_stack;
ctxvar::LocalProxy<Request> request{request_stack};

std::mutex log_mutex;
void log(const std::string& message) {
    std::lock_guard lock(log_mutex);
    std::printf("[%s] %s\n", request_id.get().c_str(), message.c_str()); // id from the context
}

std::atomic<int> mismatches{0};

std::string handle(Request& incoming, const std::string& id) {
    request_id.set(id);
    request_stack.push(&incoming);
    log("start " + request->path);
    bf::buffered_channel<std::string> reply(2);
    // The child starts in a copy of this fiber's context: it sees the id set above.
    bf::fiber child([&reply] {
        boost::this_fiber::sleep_for(std::chrono::milliseconds(1));
        reply.push("child saw " + request_id.get());
    });
    std::string child_said;
    reply.pop(child_said); // blocks: other requests run, maybe this fiber moves thread
    child.join();
    if (request_id.get() != id || request->path != incoming.path ||
        child_said != "child saw " + id) {
        ++mismatches;
    }
    log("done " + request->path + ", " + child_said);
    request_stack.pop();
    return child_said;
}

} // namespace

int main() {
    constexpr int request_count = 8;
    std::vector<Request> requests;
    for (int i = 0; i < request_count; ++i) {
        requests.push_back(Request{"/item/" + std::to_string(i)});
    }
    bf::mutex done_mutex;
    bf::condition_variable_any all_done;
    int finished = 0;

    auto worker = [&](bool serves) {
        ctxvar::fibers::use_context_scheduler<bf::algo::shared_work>(true);
        if (serves) {
            for (int i = 0; i < request_count; ++i) {
                bf::fiber([&, i] {
                    handle(requests[i], "req-" + std::to_string(i));
                    std::lock_guard lock(done_mutex);
                    ++finished;
                    all_done.notify_all();
                }).detach();
            }
        }
        std::unique_lock lock(done_mutex);
        all_done.wait(lock, [&] { return finished == request_count; });
    };
    std::thread other(worker, false);
    worker(true);
    other.join();
    const bool clean = mismatches == 0 && !request.is_bound() && request_id.get() == "-";
    std::printf("%d requests, %d mismatches\n", request_count, mismatches.load());
    return clean ? 0 : 1;
}
