// The times a benchmark run collects (one per repetition, per benchmark name), the median and
// spread the ratio table is judged by, and how the tables print a time.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ctxvar::bench {

// Real time per iteration in nanoseconds, one entry per successful repetition, keyed by the
// benchmark's full name ("get/thread_local/8").
using Samples = std::map<std::string, std::vector<double>>;

struct Summary {
    double median;
    double min;
    double max;
};

// The median (the mean of the middle two for an even count) and the extremes of a non-empty
// list of times. A median, not a mean: one repetition disturbed by the machine moves it least.
Summary summarize(std::vector<double> times);

// Three significant digits and never an exponent ("0.283", "2.71", "41.3", "1234"), so the
// columns of a table read alike whatever the magnitude.
std::string format_time(double value);

} // namespace ctxvar::bench
