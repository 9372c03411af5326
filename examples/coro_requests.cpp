// Requests handled by C++20 coroutine tasks on a 2-thread "io" pool, each spawned in a context
// of its own: the handler sets a request id in a ContextVar, and every log line reads it from
// the context, before and after the handler hops to a "database" pool and back, and inside a
// child task it awaits. A callback posted with bind_context keeps the id too. Built and run as
// a Meson test: it fails if any line shows another request's id.
#include <ctxvar/context_var.hpp>
#include <ctxvar/coro.hpp>

#include <atomic>
#include <cstdio>
#include <latch>
#include <mutex>
#include <string>
#include <vector>

namespace {

using ctxvar::coro::resume_on;
using ctxvar::coro::Task;
using ctxvar::coro::ThreadPool;

ctxvar::ContextVar<std::string> request_id("request_id", "-");
std::atomic<int> mismatches{0};

std::mutex log_mutex;
void log(const std::string& expected_id, const std::string& message) {
    std::lock_guard lock(log_mutex);
    const std::string& id = request_id.get(); // from the context, not passed around
    if (id != expected_id) {
        ++mismatches;
    }
    std::printf("[%s] %s\n", id.c_str(), message.c_str());
}

// A child task awaited directly shares the handler's context: it sees the id.
Task<std::string> query(ThreadPool& database, std::string sql, std::string expected_id) {
    co_await resume_on(database);
    log(expected_id, "db: " + sql);
    co_return "row for " + request_id.get();
}

Task<std::string> handle(ThreadPool& io, ThreadPool& database, std::latch& callbacks, int n) {
    const std::string id = "req-" + std::to_string(n);
    request_id.set(id);
    log(id, "start /item/" + std::to_string(n));
    std::string row = co_await query(database, "SELECT " + std::to_string(n), id);
    co_await resume_on(io); // back to an io thread, maybe not the one it started on
    log(id, "got " + row);

    database.post(ctxvar::coro::bind_context([id, &callbacks] { // in a copy of this context
        log(id, "callback on the database pool");
        callbacks.count_down();
    }));
    co_return row;
}

} // namespace

int main() {
    ThreadPool io(2);
    ThreadPool database(2);
    std::latch callbacks(8);
    std::vector<ctxvar::coro::JoinHandle<std::string>> handles;
    for (int n = 0; n < 8; ++n) {
        handles.push_back(ctxvar::coro::spawn(io, handle(io, database, callbacks, n)));
    }
    for (int n = 0; n < 8; ++n) {
        if (handles[n].join() != "row for req-" + std::to_string(n)) {
            ++mismatches;
        }
    }
    callbacks.wait();
    log("-", "main thread: no request id here");
    std::printf("%d mismatches\n", mismatches.load());
    return mismatches == 0 ? 0 : 1;
}
