// The locals beside a direct ContextVar::get: a LocalStack's top, a LocalProxy through a stack,
// a Local's value by name among 8, and a push+pop, all in one context holding a few variables.
#include "consume.hpp"
#include "ratios.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/local.hpp>
#include <ctxvar/local_proxy.hpp>
#include <ctxvar/local_stack.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

using ctxvar::bench::Bar;
using ctxvar::bench::consume;

struct Request {
    int id = 7;
};

// What a server declares once: a request variable, a request stack and its proxy, and `g`.
struct Server {
    ctxvar::ContextVar<Request*> request_var{"request"};
    ctxvar::LocalStack<Request*> request_stack;
    ctxvar::LocalProxy<Request> request{request_stack};
    ctxvar::Local g;
    Request current;
};

// Each row runs in a fresh context where the request is set both ways, 8 names are in `g`, and
// 8 other variables are set, as in a request handler.
template <class Body>
void in_request(benchmark::State&, Body body) {
    ctxvar::Context().run([&] {
        Server server;
        std::vector<ctxvar::ContextVar<int>> others;
        for (int i = 0; i < 8; ++i) {
            others.emplace_back("other" + std::to_string(i));
            static_cast<void>(others.back().set(i));
            server.g.set("name" + std::to_string(i), i);
        }
        static_cast<void>(server.request_var.set(&server.current));
        server.request_stack.push(&server.current);
        body(server);
    });
}

void get_request_var(benchmark::State& state) {
    in_request(state, [&](const Server& server) {
        for (auto _ : state) {
            benchmark::ClobberMemory();
            consume(server.request_var.get()->id);
        }
    });
}

void top_request_stack(benchmark::State& state) {
    in_request(state, [&](const Server& server) {
        for (auto _ : state) {
            benchmark::ClobberMemory();
            consume((*server.request_stack.top())->id);
        }
    });
}

void proxy_request_stack(benchmark::State& state) {
    in_request(state, [&](const Server& server) {
        for (auto _ : state) {
            benchmark::ClobberMemory();
            consume(server.request->id);
        }
    });
}

void get_local_by_name(benchmark::State& state) {
    in_request(state, [&](const Server& server) {
        for (auto _ : state) {
            benchmark::ClobberMemory();
            consume(server.g.get<int>("name3"));
        }
    });
}

void push_pop_request_stack(benchmark::State& state) {
    in_request(state, [&](Server& server) {
        for (auto _ : state) {
            server.request_stack.push(&server.current);
            benchmark::DoNotOptimize(server.request_stack.pop());
        }
    });
}

BENCHMARK(get_request_var)->Name("locals/get/ctxvar");
BENCHMARK(top_request_stack)->Name("locals/top/stack");
BENCHMARK(proxy_request_stack)->Name("locals/proxy/stack");
BENCHMARK(get_local_by_name)->Name("locals/get_by_name/local/8");
BENCHMARK(push_pop_request_stack)->Name("locals/push_pop/stack");

// The bars of the locals issue. Werkzeug on CPython, for scale: top 77 ns, proxy access
// 475-790 ns, push+pop 482 ns.
CTXVAR_JUDGE("LocalStack::top vs ContextVar::get", "locals/top/stack", "locals/get/ctxvar",
             Bar::at_most_times(2));
CTXVAR_JUDGE("LocalProxy through a stack vs ContextVar::get", "locals/proxy/stack",
             "locals/get/ctxvar", Bar::at_most_times(3));
CTXVAR_JUDGE("Local get by name, 8 names", "locals/get_by_name/local/8", Bar::at_most_ns(10));
CTXVAR_JUDGE("LocalStack push+pop", "locals/push_pop/stack", Bar::at_most_ns(40));

} // namespace
