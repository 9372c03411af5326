// ctxvar_bench's main(): runs every registered benchmark repeated and interleaved, shows one
// median row per benchmark, then the table of judged ratios (ratios.hpp).
#include "median_reporter.hpp"
#include "ratios.hpp"

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

// Put before the user's arguments: Benchmark lets the last occurrence of a flag win, so any of
// these can be overridden on the command line.
constexpr const char* default_flags[] = {
    // Five samples give a median that one disturbed repetition cannot move.
    "--benchmark_repetitions=5",
    // The repetitions of all benchmarks run in a shuffled order, so a slow spell of the machine
    // (another process, a frequency change) spreads over both sides of a ratio instead of
    // landing on whichever benchmark happened to run then.
    "--benchmark_enable_random_interleaving=true",
};

// The value of the last "--name=value" in argv, or fallback. Benchmark does not publish its
// flags, and the reporter is built here, so the two console options are read here.
std::string flag(int argc, char** argv, std::string_view name, std::string fallback) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg.size() > name.size() && arg.starts_with(name) && arg[name.size()] == '=') {
            fallback = arg.substr(name.size() + 1);
        }
    }
    return fallback;
}

// Benchmark's reading of a boolean flag value: false is "", "0", "f", "n", "false", "no" or
// "off" in any case; anything else is true.
bool truthy(std::string value) {
    for (char& c : value) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    for (const char* no : {"", "0", "f", "n", "false", "no", "off"}) {
        if (value == no) {
            return false;
        }
    }
    return true;
}

// Benchmark's defaults: colour when stdout is a terminal that has it (--benchmark_color=auto),
// counters inline unless --benchmark_counters_tabular=true.
benchmark::ConsoleReporter::OutputOptions console_options(int argc, char** argv) {
    const std::string color = flag(argc, argv, "--benchmark_color", "auto");
    const char* term = std::getenv("TERM");
    const bool color_terminal =
        isatty(STDOUT_FILENO) != 0 && term != nullptr && std::string_view(term) != "dumb";
    const bool use_color = color == "auto" ? color_terminal : truthy(color);
    const bool tabular = truthy(flag(argc, argv, "--benchmark_counters_tabular", "false"));
    return static_cast<benchmark::ConsoleReporter::OutputOptions>(
        (use_color ? benchmark::ConsoleReporter::OO_Color : 0) |
        (tabular ? benchmark::ConsoleReporter::OO_Tabular : 0));
}

} // namespace

// The console output always comes from MedianReporter; machine-readable output still works
// with --benchmark_out=FILE --benchmark_out_format=json, which gets every repetition.
// --benchmark_{report,display}_aggregates_only=true would hide the repetitions from the
// ratio table; one row per benchmark is already what the console shows.
int main(int argc, char** argv) {
    std::vector<char*> args{argv[0]};
    for (const char* f : default_flags) {
        args.push_back(const_cast<char*>(f)); // Benchmark takes char**, never writes through it
    }
    args.insert(args.end(), argv + 1, argv + argc);
    int count = static_cast<int>(args.size());
    args.push_back(nullptr); // argv[argc] is a null pointer

    benchmark::Initialize(&count, args.data());
    if (benchmark::ReportUnrecognizedArguments(count, args.data())) {
        return 1;
    }
    // Programs that switch contexts have threads. glibc reports a process single-threaded
    // until its first thread starts, and libstdc++ then skips atomic reference counts
    // (std::shared_ptr): start one, so every benchmark, in whatever order, measures what a
    // threaded program gets.
    std::thread([] {}).join();

    ctxvar::bench::MedianReporter reporter(console_options(argc, argv));
    benchmark::RunSpecifiedBenchmarks(&reporter);
    ctxvar::bench::print_ratios(std::cout, reporter.samples());
    benchmark::Shutdown();
    return 0;
}
