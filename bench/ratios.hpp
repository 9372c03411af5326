// The registry of judged comparisons: each names two benchmarks (or one and a time) and the bar
// the medians must clear; ctxvar_bench prints them all as one table after its run.
#pragma once

#include "samples.hpp"

#include <iosfwd>
#include <string>

namespace ctxvar::bench {

// What a comparison must show, on the medians of the subject and the baseline.
class Bar {
  public:
    enum class Kind {
        at_most_times,         // subject <= value * baseline
        at_least_times_faster, // subject * value <= baseline
        at_most_ns,            // subject <= value nanoseconds; no baseline
        at_most_ns_more,       // subject <= baseline + value nanoseconds
    };

    // Each throws std::invalid_argument unless value > 0.
    static Bar at_most_times(double factor);
    static Bar at_least_times_faster(double factor);
    static Bar at_most_ns(double nanoseconds);
    static Bar at_most_ns_more(double nanoseconds);

    Kind kind() const { return kind_; }
    double value() const { return value_; }

    // Whether the medians clear the bar (baseline is ignored by at_most_ns).
    bool passes(double subject_ns, double baseline_ns) const;
    // "<= 2x", ">= 10x faster", "<= 50 ns", "<= +2 ns".
    std::string describe() const;

  private:
    Bar(Kind kind, double value) : kind_(kind), value_(value) {}

    Kind kind_;
    double value_;
};

// Registers a comparison of two benchmarks by their full names ("get/thread_local/8"); the bar
// must not be at_most_ns. Returns true, so that it can initialize a namespace-scope constant
// (see CTXVAR_JUDGE). Throws std::invalid_argument on a wrong bar or an empty name.
bool judge(std::string label, std::string subject_benchmark, std::string baseline_benchmark,
           Bar bar);
// Registers an absolute bar for one benchmark; the bar must be at_most_ns.
bool judge(std::string label, std::string subject_benchmark, Bar bar);

// Prints the table of every registered comparison whose benchmarks ran: label, medians with
// their range over the repetitions, the ratio, the bar and PASS or MISS. A comparison whose
// benchmark was filtered out is left out silently; one whose benchmark the filter selects but
// that never ran (a misspelled name, or it failed) gets a note instead. Nothing at all is
// printed when no comparison can be shown.
void print_ratios(std::ostream& out, const Samples& samples);

} // namespace ctxvar::bench

#define CTXVAR_BENCH_CONCAT_(a, b) a##b
#define CTXVAR_BENCH_CONCAT(a, b) CTXVAR_BENCH_CONCAT_(a, b)

// Registers a judged comparison from a static initializer, the way BENCHMARK registers a
// benchmark: CTXVAR_JUDGE("label", "subject", "baseline", Bar::at_most_times(2));
#define CTXVAR_JUDGE(...)                                                                          \
    [[maybe_unused]] static const bool CTXVAR_BENCH_CONCAT(ctxvar_bench_judged_, __COUNTER__) =    \
        ::ctxvar::bench::judge(__VA_ARGS__)
