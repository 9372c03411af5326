// ctxvar_bench's main(): runs every registered benchmark in rounds, each round followed by a
// round of the CPython rows, then prints each benchmark's median and the report (report.hpp);
// writes latest.json and the plot's script when given a results directory.
#include "checks.hpp"
#include "filter.hpp"
#include "median_reporter.hpp"
#include "plot.hpp"
#include "python_baseline.hpp"
#include "ratios.hpp"
#include "report.hpp"
#include "results_json.hpp"

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#ifndef CTXVAR_BENCH_SOURCE_DIR
#error "bench/meson.build defines CTXVAR_BENCH_SOURCE_DIR, where cpython_bench.py is"
#endif

namespace {

constexpr const char* usage = R"(ctxvar_bench: the comparison benchmark (see README, "Performance").

ctxvar's own flags (Google Benchmark's --benchmark_* flags work as usual):
  --rounds=N            rounds to run; the report shows medians of the rounds (default 5)
  --python=PATH         the interpreter that runs bench/cpython_bench.py between the rounds
                        (Debian's /usr/bin/python3, which has python3-greenlet and
                        python3-werkzeug); none by default: no CPython figures
  --python_script=PATH  the script (default: the one in the source tree)
  --results_dir=DIR     write DIR/latest.json and DIR/plot.gp (gnuplot draws get_set.svg)
  --strict              exit with status 1 when a figure the report names is missing, a
                        benchmark failed, or the CPython script failed

--benchmark_out=FILE keeps only the last round: latest.json (--results_dir) has them all.
)";

// Put before the user's arguments: Benchmark lets the last occurrence of a flag win, so any of
// these can be overridden on the command line.
constexpr const char* default_flags[] = {
    // A round is one repetition of each benchmark; the rounds are the repetitions.
    "--benchmark_repetitions=1",
    // Each round runs the benchmarks in a shuffled order, so a slow spell of the machine (another
    // process, a frequency change) spreads over both sides of a ratio instead of landing on
    // whichever benchmark happened to run then.
    "--benchmark_enable_random_interleaving=true",
    // 0.05 s per benchmark and round (millions of iterations for the nanosecond rows) keeps a
    // full run of 5 rounds near 2.5 minutes on 2 cores; the HAMT rows' setup is a third of it.
    "--benchmark_min_time=0.05",
};

struct Options {
    int rounds = 5;
    std::string python;
    std::string python_script = CTXVAR_BENCH_SOURCE_DIR "/cpython_bench.py";
    std::string results_dir;
    bool strict = false;
};

// Takes ctxvar's own flags out of args (Benchmark rejects flags it does not know).
Options take_options(std::vector<char*>& args) {
    Options options;
    std::vector<char*> rest;
    for (char* arg : args) {
        const std::string_view a = arg;
        const auto value = [&](std::string_view name) -> const char* {
            return a.starts_with(name) ? arg + name.size() : nullptr;
        };
        if (const char* v = value("--rounds=")) {
            options.rounds = std::atoi(v);
            if (options.rounds < 1) {
                throw std::invalid_argument("--rounds must be at least 1");
            }
        } else if (const char* v = value("--python=")) {
            options.python = v;
        } else if (const char* v = value("--python_script=")) {
            options.python_script = v;
        } else if (const char* v = value("--results_dir=")) {
            options.results_dir = v;
        } else if (a == "--strict") {
            options.strict = true;
        } else {
            rest.push_back(arg);
        }
    }
    args = rest;
    return options;
}

// The value of the last "--name=value" in args, or fallback.
std::string flag(const std::vector<char*>& args, std::string_view name, std::string fallback) {
    for (std::string_view arg : args) {
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
benchmark::ConsoleReporter::OutputOptions console_options(const std::vector<char*>& args) {
    const std::string color = flag(args, "--benchmark_color", "auto");
    const char* term = std::getenv("TERM");
    const bool color_terminal =
        isatty(STDOUT_FILENO) != 0 && term != nullptr && std::string_view(term) != "dumb";
    const bool use_color = color == "auto" ? color_terminal : truthy(color);
    const bool tabular = truthy(flag(args, "--benchmark_counters_tabular", "false"));
    return static_cast<benchmark::ConsoleReporter::OutputOptions>(
        (use_color ? benchmark::ConsoleReporter::OO_Color : 0) |
        (tabular ? benchmark::ConsoleReporter::OO_Tabular : 0));
}

// Whether the filter selects any CPython figure the report or a bar names: if not, the
// interpreter need not run at all.
bool selects_python(const std::vector<std::string>& names) {
    for (const std::string& name : names) {
        if (ctxvar::bench::is_python_figure(name) && ctxvar::bench::filter_selects(name)) {
            return true;
        }
    }
    return false;
}

int run(int argc, char** argv) {
    using namespace ctxvar::bench;
    std::vector<char*> args{argv[0]};
    for (const char* f : default_flags) {
        args.push_back(const_cast<char*>(f)); // Benchmark takes char**, never writes through it
    }
    args.insert(args.end(), argv + 1, argv + argc);
    for (std::string_view arg : args) {
        if (arg == "--help" || arg == "-h") {
            std::cout << usage << '\n';
        }
    }
    const Options options = take_options(args);
    // Read before Initialize, which takes Benchmark's flags out of args.
    const benchmark::ConsoleReporter::OutputOptions console = console_options(args);
    const double min_time = std::atof(flag(args, "--benchmark_min_time", "0.05").c_str());
    const bool list_only = truthy(flag(args, "--benchmark_list_tests", "false"));
    int count = static_cast<int>(args.size());
    args.push_back(nullptr); // argv[argc] is a null pointer
    benchmark::Initialize(&count, args.data());
    if (benchmark::ReportUnrecognizedArguments(count, args.data())) {
        return 1;
    }
    if (list_only) {
        benchmark::RunSpecifiedBenchmarks();
        return 0;
    }
    // Programs that switch contexts have threads. glibc reports a process single-threaded
    // until its first thread starts, and libstdc++ then skips atomic reference counts
    // (std::shared_ptr): start one, so every benchmark, in whatever order, measures what a
    // threaded program gets.
    std::thread([] {}).join();

    // The machine is read first: a surprise there must not cost a finished run.
    RunDescription description{describe_machine(), options.rounds, min_time, {}, 0, {}};
    PythonBaseline python(options.python, options.python_script, min_time, filter_selects);
    const bool with_python = !options.python.empty() && selects_python(referenced_figures());
    MedianReporter reporter(console);
    Samples python_samples;
    const auto start = std::chrono::steady_clock::now();
    for (int round = 1; round <= options.rounds; ++round) {
        std::cerr << "ctxvar_bench: round " << round << " of " << options.rounds
                  << (with_python ? ": C++ benchmarks, then CPython" : "") << std::endl;
        benchmark::RunSpecifiedBenchmarks(&reporter);
        if (with_python) {
            python.run_round(python_samples, static_cast<unsigned>(round));
        }
    }
    description.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    reporter.print_medians();

    // After a failure the CPython side has fewer rounds than the rest, or a partial one: none
    // of its figures is shown.
    if (python.failed()) {
        python_samples.clear();
    }
    Samples samples = reporter.samples();
    samples.merge(python_samples);
    description.python = python.info();
    if (options.python.empty()) {
        description.notes.push_back("CPython not measured: no --python given (./dev bench "
                                    "passes Debian's /usr/bin/python3 when it exists)");
    }
    description.notes.insert(description.notes.end(), python.notes().begin(), python.notes().end());
    // A C++ figure is expected when its benchmark ran, or when the run selected every one (so a
    // name the table or a bar misspells is caught by any full or quick run); a CPython figure
    // when the script ran and did not skip its module.
    const ShouldExist should_exist = [&](const std::string& name) {
        if (is_python_figure(name)) {
            return with_python && filter_selects(name) && python.should_exist(name);
        }
        return reporter.ran(name) || filter_selects_everything();
    };
    // What the run should have measured and did not: a renamed benchmark, a failed one.
    std::vector<std::string> problems;
    for (const auto& [name, failure] : reporter.failures()) {
        problems.push_back(name + " " + failure);
    }
    const std::vector<Verdict> verdicts = judge_all(samples, should_exist, problems);
    for (const std::string& name : missing_table_figures(samples, should_exist)) {
        problems.push_back("the table names " + name + ", which has no figure");
    }
    description.notes.insert(description.notes.end(), problems.begin(), problems.end());
    print_report(std::cout, samples, verdicts, description);
    if (!options.results_dir.empty()) {
        write_results_json(options.results_dir + "/latest.json", samples, verdicts, description);
        write_plot_script(options.results_dir + "/plot.gp", samples, description);
        std::cout << "wrote " << options.results_dir << "/latest.json and " << options.results_dir
                  << "/plot.gp\n";
    }
    benchmark::Shutdown();
    const bool complete = problems.empty() && !python.failed();
    return options.strict && !complete ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "ctxvar_bench: " << e.what() << '\n';
        return 2;
    }
}
