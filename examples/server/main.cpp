// ctxvar_server: the example HTTP/1.1 server. One Flask-style handler (app.cpp), served by
// Boost.Fiber fibers, greenlets or C++20 coroutines. See README.md, "An HTTP server".
//
//   ctxvar_server [--port=P] [--runtime=fiber|greenlet|coroutine] [--threads=N] [--explicit]
//                 [--log=PATH|-|off]
//
// It serves until SIGINT or SIGTERM, then closes every connection, waits for every flow to end
// and prints its counters; it exits 1 if a connection, a request or a request id is left.
#include "app.hpp"
#include "runtimes.hpp"
#include "stats.hpp"

#include <charconv>
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

namespace {

constexpr const char* usage =
    "usage: ctxvar_server [--port=P] [--runtime=fiber|greenlet|coroutine] [--threads=N]\n"
    "                     [--explicit] [--log=PATH|-|off]\n"
    "  --port=P      loopback port to listen on (default 8080; 0: any free port)\n"
    "  --runtime=R   fiber (default): Boost.Fiber fibers on a work_stealing scheduler;\n"
    "                greenlet: a hub greenlet per thread drives Boost.Asio;\n"
    "                coroutine: ctxvar::coro tasks on Boost.Asio\n"
    "  --threads=N   threads that run connections (default 1)\n"
    "  --explicit    the same view with the request passed as arguments, no ctxvar\n"
    "  --log=WHERE   log lines to a file, - (stderr, the default) or off\n";

bool parse_int(std::string_view text, int& value, int low, int high) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && end == text.data() + text.size() && value >= low && value <= high;
}

// Fills `options` and opens the log; says what is wrong, or "".
std::string parse(int argc, char** argv, server::Options& options) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&](std::string_view flag) -> std::optional<std::string_view> {
            if (arg.substr(0, flag.size()) == flag && arg.size() > flag.size() &&
                arg[flag.size()] == '=') {
                return arg.substr(flag.size() + 1);
            }
            return std::nullopt;
        };
        int number = 0;
        if (auto port = value("--port")) {
            if (!parse_int(*port, number, 0, 65535)) {
                return "--port takes 0 to 65535";
            }
            options.port = static_cast<unsigned short>(number);
        } else if (auto runtime = value("--runtime")) {
            if (*runtime != "fiber" && *runtime != "greenlet" && *runtime != "coroutine") {
                return "--runtime takes fiber, greenlet or coroutine";
            }
            options.runtime = *runtime;
        } else if (auto threads = value("--threads")) {
            if (!parse_int(*threads, number, 1, 256)) {
                return "--threads takes 1 to 256";
            }
            options.threads = number;
        } else if (arg == "--explicit") {
            options.explicit_view = true;
        } else if (auto log = value("--log")) {
            if (*log == "off") {
                server::log_file = nullptr;
            } else if (*log != "-") {
                server::log_file = std::fopen(std::string(*log).c_str(), "a");
                if (server::log_file == nullptr) {
                    return "cannot open the log file " + std::string(*log);
                }
            }
        } else {
            return "unknown argument " + std::string(arg);
        }
    }
    return {};
}

} // namespace

int main(int argc, char** argv) {
    server::Options options;
    if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
        std::fputs(usage, stdout);
        return 0;
    }
    if (const std::string wrong = parse(argc, argv, options); !wrong.empty()) {
        std::fprintf(stderr, "ctxvar_server: %s\n%s", wrong.c_str(), usage);
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN); // a client gone mid-response is an error code, not a signal
    try {
        if (options.runtime == "fiber") {
            server::run_fibers(options);
        } else if (options.runtime == "greenlet") {
            server::run_greenlets(options);
        } else {
            server::run_coroutines(options);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ctxvar_server: %s\n", e.what());
        return 1;
    }
    std::printf("stats: %s\n", server::Stats::text(' ').c_str());
    if (server::log_file != nullptr && server::log_file != stderr) {
        std::fclose(server::log_file);
    }
    return server::Stats::clean() ? 0 : 1;
}
