// The registry of judged comparisons: each names two benchmarks (or one and a time) and the bar
// the medians must clear; the report judges them all after the run (judge_all) and prints them
// as one table of verdicts.
#pragma once

#include "samples.hpp"

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

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
// (see CTXVAR_JUDGE). Throws std::invalid_argument on a wrong bar, an empty name or a name with
// a counter ("name:counter": bars judge times).
bool judge(std::string label, std::string subject_benchmark, std::string baseline_benchmark,
           Bar bar);
// Registers an absolute bar for one benchmark; the bar must be at_most_ns.
bool judge(std::string label, std::string subject_benchmark, Bar bar);

// A registered comparison, judged on the run's medians.
struct Verdict {
    std::string label;
    std::string subject;
    std::string baseline; // empty for an absolute bar
    Bar bar;
    Summary subject_summary;
    std::optional<Summary> baseline_summary;
    double ratio;           // subject / baseline (0 without a baseline)
    std::string ratio_text; // "3.99x", "8.15x faster", "+3.05 ns (1.71x)", "-"
    bool passes;
};

// Names a comparison refers to that the run should have measured but did not.
using ShouldExist = std::function<bool(const std::string& benchmark_name)>;

// Judges every registered comparison whose benchmarks both have figures. A comparison with a
// benchmark missing is left out; when should_exist(name) says that benchmark was expected (the
// filter selects it and its side ran), problems gets a line saying so.
std::vector<Verdict> judge_all(const Samples& samples, const ShouldExist& should_exist,
                               std::vector<std::string>& problems);

// The benchmark names the registered comparisons refer to.
std::vector<std::string> judged_benchmarks();

// The table of verdicts: label, medians with their range over the rounds, the ratio, the bar
// and PASS or MISS; then one line counting the bars held and missed. Nothing for no verdicts.
void print_verdicts(std::ostream& out, const std::vector<Verdict>& verdicts);

} // namespace ctxvar::bench

#define CTXVAR_BENCH_CONCAT_(a, b) a##b
#define CTXVAR_BENCH_CONCAT(a, b) CTXVAR_BENCH_CONCAT_(a, b)

// Registers a judged comparison from a static initializer, the way BENCHMARK registers a
// benchmark: CTXVAR_JUDGE("label", "subject", "baseline", Bar::at_most_times(2));
#define CTXVAR_JUDGE(...)                                                                          \
    [[maybe_unused]] static const bool CTXVAR_BENCH_CONCAT(ctxvar_bench_judged_, __COUNTER__) =    \
        ::ctxvar::bench::judge(__VA_ARGS__)
