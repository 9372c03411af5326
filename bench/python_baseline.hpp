// CPython's side of the comparison: bench/cpython_bench.py, run once per round with Debian's
// interpreter, between the rounds of the C++ benchmarks, so that drift hits both sides.
#pragma once

#include "samples.hpp"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ctxvar::bench {

class PythonBaseline {
  public:
    // Which of the script's rows to keep (ctxvar_bench keeps those its filter selects).
    using Keep = std::function<bool(const std::string& name)>;

    // interpreter: e.g. "/usr/bin/python3"; script: the path of cpython_bench.py; min_time:
    // the seconds each row is timed for (the script's --min-time).
    PythonBaseline(std::string interpreter, std::string script, double min_time, Keep keep);

    // Runs one round of every Python row and adds the figures to samples (those keep keeps). After
    // a failure (no interpreter, the script exits non-zero or prints what it must not), later
    // rounds are skipped: failed() turns true and the notes say why.
    void run_round(Samples& samples, unsigned seed);

    bool failed() const { return failed_; }
    // What the script reported of itself ("python" → "3.11.2", "greenlet" → "2.0.2", ...).
    const std::map<std::string, std::string>& info() const { return info_; }
    // The modules the script skipped ("greenlet", "werkzeug"): their rows are absent.
    const std::set<std::string>& skipped() const { return skipped_; }
    // Whether a "cpython/..." figure should have been measured: the interpreter ran without
    // failing and the figure's module ("cpython/greenlet/switch": greenlet) was not skipped.
    bool should_exist(const std::string& benchmark_name) const;
    // Modules skipped and failures, one line each, for the report.
    const std::vector<std::string>& notes() const { return notes_; }

  private:
    void parse_line(const std::string& line, Samples& samples);
    void fail(std::string why);

    std::string interpreter_;
    std::string script_;
    double min_time_;
    Keep keep_;
    bool failed_ = false;
    bool ran_ = false;
    std::map<std::string, std::string> info_;
    std::set<std::string> skipped_;
    std::vector<std::string> notes_;
};

// Whether a figure's name belongs to the Python side ("cpython/...").
bool is_python_figure(const std::string& benchmark_name);

} // namespace ctxvar::bench
