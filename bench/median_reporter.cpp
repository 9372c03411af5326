// Collects each repetition's time and filters what the console shows: a repeated benchmark is
// one median row (its range in the label), so the output stays one row per benchmark.
#include "median_reporter.hpp"

#include <algorithm>

namespace ctxvar::bench {

namespace {

using Run = benchmark::BenchmarkReporter::Run;

double nanoseconds(const Run& run) {
    return run.GetAdjustedRealTime() * 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
}

// The median row, labelled with the range its repetitions spanned, in the row's own unit.
Run with_range(const Run& median, const std::vector<double>& times) {
    const Summary s = summarize(times);
    const double per_ns = benchmark::GetTimeUnitMultiplier(median.time_unit) / 1e9;
    Run shown = median;
    if (!shown.report_label.empty()) {
        shown.report_label += ' ';
    }
    shown.report_label += "range " + format_time(s.min * per_ns) + ".." +
                          format_time(s.max * per_ns) + ' ' +
                          benchmark::GetTimeUnitString(median.time_unit);
    return shown;
}

} // namespace

void MedianReporter::ReportRuns(const std::vector<Run>& reports) {
    for (const Run& run : reports) {
        if (run.run_type == Run::RT_Iteration) {
            if (!run.error_occurred) {
                samples_[run.benchmark_name()].push_back(nanoseconds(run));
            }
            // A repeated benchmark shows as its median row, which comes with the aggregates.
            // A failure is shown once: every repetition fails the same way.
            const bool single = run.repetitions <= 1;
            if (single || (run.error_occurred && run.repetition_index <= 0)) {
                shown_.push_back(run);
            }
        } else if (run.aggregate_name == "median") {
            // benchmark_name() of an aggregate ends in "_median"; run_name is the benchmark's.
            const auto times = samples_.find(run.run_name.str());
            shown_.push_back(times == samples_.end() ? run : with_range(run, times->second));
        } else if (run.report_big_o || run.report_rms) {
            shown_.push_back(run); // a complexity fit: one row per family, worth showing
        }
    }
}

void MedianReporter::Finalize() {
    // Stable: a family's complexity rows stay after its instances.
    std::stable_sort(shown_.begin(), shown_.end(), [](const Run& a, const Run& b) {
        return a.family_index < b.family_index ||
               (a.family_index == b.family_index &&
                a.per_family_instance_index < b.per_family_instance_index);
    });
    if (!shown_.empty()) {
        ConsoleReporter::ReportRuns(shown_);
    }
    shown_.clear();
    ConsoleReporter::Finalize();
}

} // namespace ctxvar::bench
