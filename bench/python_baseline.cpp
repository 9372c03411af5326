// Runs bench/cpython_bench.py for one round and reads its records:
//   info <key> <value...>        the interpreter's and the modules' versions
//   skip <module> <reason...>    a module that does not import; its rows are absent
//   time <name> <ns>             nanoseconds per operation
//   value <name> <counter> <x>   a counter (bytes per variable, ...)
#include "python_baseline.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>
#include <utility>

namespace ctxvar::bench {

namespace {

// A word for /bin/sh: single-quoted, with each ' written as '\''.
std::string quoted(const std::string& word) {
    std::string out = "'";
    for (char c : word) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

std::string rest_of(std::istringstream& in) {
    std::string rest;
    std::getline(in >> std::ws, rest);
    return rest;
}

} // namespace

bool is_python_figure(const std::string& benchmark_name) {
    return benchmark_name.starts_with("cpython/");
}

PythonBaseline::PythonBaseline(std::string interpreter, std::string script, double min_time,
                               Keep keep)
    : interpreter_(std::move(interpreter)), script_(std::move(script)), min_time_(min_time),
      keep_(std::move(keep)) {}

bool PythonBaseline::should_exist(const std::string& benchmark_name) const {
    if (!ran_ || failed_) {
        return false;
    }
    // "cpython/<module>/...": the module is the second component when it is one the script
    // may skip; the contextvars rows ("cpython/get/8") are never skipped.
    const std::size_t start = std::string("cpython/").size();
    const std::string module =
        benchmark_name.substr(start, benchmark_name.find('/', start) - start);
    return !skipped_.contains(module);
}

void PythonBaseline::fail(std::string why) {
    failed_ = true;
    notes_.push_back("CPython not measured: " + std::move(why));
}

void PythonBaseline::run_round(Samples& samples, unsigned seed) {
    if (failed_) {
        return;
    }
    ran_ = true;
    std::ostringstream command;
    command << quoted(interpreter_) << ' ' << quoted(script_) << " --min-time " << min_time_
            << " --seed " << seed;
    std::fflush(nullptr); // the child shares stdout and stderr
    FILE* pipe = popen(command.str().c_str(), "r");
    if (pipe == nullptr) {
        fail("could not start " + interpreter_);
        return;
    }
    std::string line;
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
        line += buffer;
        if (!line.empty() && line.back() == '\n') {
            line.pop_back();
            parse_line(line, samples);
            line.clear();
        }
    }
    if (!line.empty()) {
        parse_line(line, samples);
    }
    const int status = pclose(pipe);
    if (status == -1) {
        fail(command.str() + ": pclose failed");
    } else if (!WIFEXITED(status)) {
        fail(command.str() + " was killed by signal " + std::to_string(WTERMSIG(status)));
    } else if (WEXITSTATUS(status) != 0) {
        fail(command.str() + " exited with status " + std::to_string(WEXITSTATUS(status)));
    }
}

void PythonBaseline::parse_line(const std::string& line, Samples& samples) {
    std::istringstream in(line);
    std::string kind, name;
    in >> kind >> name;
    if (kind == "info" && !name.empty()) {
        info_[name] = rest_of(in);
        return;
    }
    if (kind == "skip" && !name.empty()) {
        if (skipped_.insert(name).second) {
            notes_.push_back("CPython rows of " + name + " skipped: " + rest_of(in));
        }
        return;
    }
    double value = 0;
    std::string counter;
    if (kind == "time" && is_python_figure(name) && in >> value) {
        if (keep_(name)) {
            samples[name].times_ns.push_back(value);
        }
        return;
    }
    if (kind == "value" && is_python_figure(name) && in >> counter >> value) {
        if (keep_(name)) {
            samples[name].counters[counter].push_back(value);
        }
        return;
    }
    fail("unexpected line from the script: \"" + line + "\"");
}

} // namespace ctxvar::bench
