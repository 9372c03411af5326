// The main table of the report. Every figure named here must exist in a full run: the quick
// run that the test suite makes fails when one is missing, so a renamed benchmark cannot
// silently drop out of the report.
#include "report_layout.hpp"

namespace ctxvar::bench {

namespace {

// A column's figure in a row per number of variables: "{n}" stands for the number, and a
// column with a limit (pthread's keys) has no figure above it.
struct PerCount {
    PerCount(const char* pattern) : pattern(pattern) {} // a plain string in the lists below
    PerCount(const char* pattern, int limit) : pattern(pattern), limit(limit) {}

    std::string pattern;
    int limit = variable_counts[std::size(variable_counts) - 1];
};

// One row per number of variables, labelled "<label>, n = <n>".
void add_per_count(Section& section, const std::string& label,
                   const std::vector<PerCount>& columns) {
    for (const int n : variable_counts) {
        LayoutRow row{label + ", n = " + std::to_string(n), {}};
        for (const PerCount& column : columns) {
            std::string figure = column.pattern;
            if (const std::size_t at = figure.find("{n}"); at != std::string::npos) {
                figure.replace(at, 3, std::to_string(n));
            }
            row.figures.push_back(n <= column.limit ? figure : "");
        }
        section.rows.push_back(std::move(row));
    }
}

Section context_variables() {
    Section s{"Context variables: ns per operation on one of n variables set in the current "
              "context",
              false,
              {"operation", "ctxvar", "thread_local", "pthread_*specific", "thread_specific_ptr",
               "fiber_specific_ptr", "CPython"},
              {}};
    add_per_count(s, "get",
                  {"get/ctxvar/{n}",
                   "get/thread_local/{n}",
                   {"get/pthread_getspecific/{n}", pthread_key_limit},
                   "get/thread_specific_ptr/{n}",
                   "get/fiber_specific_ptr/{n}",
                   "cpython/get/{n}"});
    add_per_count(s, "set+reset",
                  {"set_reset/ctxvar/{n}",
                   "set_reset/thread_local/{n}",
                   {"set_reset/pthread_setspecific/{n}", pthread_key_limit},
                   "set_reset/thread_specific_ptr/{n}",
                   "set_reset/fiber_specific_ptr/{n}",
                   "cpython/set_reset/{n}"});
    // Thread storage has no snapshot to copy or enter: only CPython compares.
    add_per_count(s, "copy_context", {"copy/ctxvar/{n}", "", "", "", "", "cpython/copy/{n}"});
    add_per_count(s, "run(noop)", {"run/ctxvar/{n}", "", "", "", "", "cpython/run/{n}"});
    return s;
}

Section flows() {
    return {"Switching flows: ns per operation; without context = the same runtime alone (a raw "
            "boost::context::fiber,\nplain Boost.Fiber round_robin, ctxvar::coro::BasicTask<T, "
            "false>)",
            false,
            {"operation", "ctxvar", "without context", "CPython"},
            {
                {"greenlet switch round trip",
                 {"greenlet/switch/greenlet", "greenlet/switch/boost_fiber",
                  "cpython/greenlet/switch"}},
                {"greenlet create+start+finish",
                 {"greenlet/create_finish/greenlet", "", "cpython/greenlet/create_finish"}},
                {"fiber yield round trip", {"fiber/yield/ctxvar", "fiber/yield/plain", ""}},
                {"fiber create+join (copy)",
                 {"fiber/create_join/inherit", "fiber/create_join/plain", ""}},
                {"co_await, child done at once",
                 {"coro/await_completed/ctxvar", "coro/await_completed/plain", ""}},
                {"task suspend+resume",
                 {"coro/suspend_resume/ctxvar", "coro/suspend_resume/plain", ""}},
                {"100 tasks spawn+join, 2 threads",
                 {"coro/pool_100/spawn_join_ctxvar", "coro/pool_100/spawn_join_plain", ""}},
            }};
}

Section locals() {
    return {
        "Locals: ns per operation, in a context holding a request, 8 names and 8 variables",
        false,
        {"operation", "ctxvar", "ContextVar::get", "Werkzeug"},
        {
            {"LocalStack top", {"locals/top/stack", "locals/get/ctxvar", "cpython/werkzeug/top"}},
            {"LocalProxy via a stack",
             {"locals/proxy/stack", "locals/get/ctxvar", "cpython/werkzeug/proxy"}},
            {"Local get, 8 names",
             {"locals/get_by_name/local/8", "locals/get/ctxvar", "cpython/werkzeug/get_by_name/8"}},
            {"LocalStack push+pop", {"locals/push_pop/stack", "", "cpython/werkzeug/push_pop"}},
        }};
}

Section memory() {
    Section s{"Memory: heap bytes (glibc's: malloc headers included; CPython's: tracemalloc's)",
              true,
              {"what", "ctxvar", "without context", "CPython"},
              {}};
    add_per_count(s, "per variable",
                  {"memory/ctxvar/{n}:bytes_per_var", "", "cpython/memory/{n}:bytes_per_var"});
    // Python's greenlet keeps an idle greenlet's slice of C stack in the heap (tracemalloc sees
    // it, about 1.3 KB), while ctxvar's stays on its own stack: so CPython's figure goes beside
    // the heap + touched stack row. Neither counts CPython's 16 KiB frame data stack per
    // greenlet (mmap'd, about 4 KB resident), so CPython's figure is its lower bound.
    s.rows.push_back(
        {"per idle greenlet, heap", {"greenlet/memory/idle:heap_bytes_per_greenlet", "", ""}});
    s.rows.push_back({"per idle greenlet, heap + stack",
                      {"greenlet/memory/idle:resident_bytes_per_greenlet", "",
                       "cpython/greenlet/memory/idle:bytes_per_greenlet"}});
    s.rows.push_back({"per idle fiber, heap",
                      {"fiber/memory/idle_ctxvar:heap_bytes_per_fiber",
                       "fiber/memory/idle_plain:heap_bytes_per_fiber", ""}});
    s.rows.push_back({"per fiber, its stack",
                      {"fiber/memory/idle_ctxvar:stack_bytes_per_fiber",
                       "fiber/memory/idle_plain:stack_bytes_per_fiber", ""}});
    s.rows.push_back({"per idle task, heap",
                      {"coro/memory/idle_ctxvar:heap_bytes_per_task",
                       "coro/memory/idle_plain:heap_bytes_per_task", ""}});
    return s;
}

} // namespace

const std::vector<Section>& report_sections() {
    static const std::vector<Section> sections{context_variables(), flows(), locals(), memory()};
    return sections;
}

} // namespace ctxvar::bench
