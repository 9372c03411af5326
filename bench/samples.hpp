// The figures a benchmark run collects (per benchmark name: one time per round, and the
// counters it reports) and the median and spread every table is built from.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ctxvar::bench {

// One benchmark's figures over the rounds of a run: its real time per iteration in
// nanoseconds, one entry per successful repetition, and each user counter's values.
struct Measurement {
    std::vector<double> times_ns;
    std::map<std::string, std::vector<double>> counters;
};

// Every benchmark measured so far, keyed by its full name ("get/thread_local/8"): the C++
// benchmarks and the CPython rows ("cpython/get/8") alike.
using Samples = std::map<std::string, Measurement>;

struct Summary {
    double median;
    double min;
    double max;

    // Half the range as a fraction of the median: 0.03 for "±3.0%". 0 when the median is 0.
    double spread() const;
};

// The median (the mean of the middle two for an even count) and the extremes of a non-empty
// list of values. A median, not a mean: one round disturbed by the machine moves it least.
Summary summarize(std::vector<double> values);

// A figure a table shows: a benchmark's time ("get/ctxvar/8"), or one of its counters when
// the reference names one after a colon ("memory/ctxvar/8:bytes_per_var").
struct FigureRef {
    std::string benchmark;
    std::string counter; // empty: the time per iteration

    static FigureRef parse(const std::string& reference);
    bool is_time() const { return counter.empty(); }
};

// The values behind a reference, or nullptr when the run has none (not run, filtered out,
// failed, or a counter the benchmark does not report).
const std::vector<double>* find_values(const Samples& samples, const FigureRef& figure);
std::optional<Summary> find_summary(const Samples& samples, const std::string& reference);

} // namespace ctxvar::bench
