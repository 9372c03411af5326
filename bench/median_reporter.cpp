// Collects each round's times and counters, then shows one median row per benchmark: the run
// of the round nearest the median, its time set to the median, labelled with the range.
#include "median_reporter.hpp"

#include "formats.hpp"

#include <algorithm>
#include <cmath>

namespace ctxvar::bench {

namespace {

using Run = benchmark::BenchmarkReporter::Run;

double nanoseconds(const Run& run) {
    return run.GetAdjustedRealTime() * 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
}

// The row shown for a benchmark's rounds: the round nearest the median, its times scaled so
// that it reads the median, and the range of the rounds in its label, in its own unit.
Run median_row(const std::vector<Run>& runs, const Measurement& measured) {
    const Summary s = summarize(measured.times_ns);
    const auto& counters = measured.counters;
    const auto nearest =
        std::min_element(runs.begin(), runs.end(), [&](const Run& a, const Run& b) {
            return std::fabs(nanoseconds(a) - s.median) < std::fabs(nanoseconds(b) - s.median);
        });
    Run shown = *nearest;
    // Each counter shows its own median (a memory row's bytes, say), not the nearest round's.
    for (auto& [counter, value] : shown.counters) {
        if (const auto values = counters.find(counter); values != counters.end()) {
            value.value = summarize(values->second).median;
        }
    }
    if (nanoseconds(shown) > 0) {
        const double scale = s.median / nanoseconds(shown);
        shown.real_accumulated_time *= scale;
        shown.cpu_accumulated_time *= scale;
    }
    if (runs.size() > 1) {
        const double per_ns = benchmark::GetTimeUnitMultiplier(shown.time_unit) / 1e9;
        if (!shown.report_label.empty()) {
            shown.report_label += ' ';
        }
        shown.report_label += "range " + format_number(s.min * per_ns) + ".." +
                              format_number(s.max * per_ns) + ' ' +
                              benchmark::GetTimeUnitString(shown.time_unit);
    }
    return shown;
}

// The name the report knows a benchmark by: its own, without "/iterations:N", since a fixed
// iteration count says how a benchmark runs (a memory row runs once), not what it measures.
std::string report_name(const Run& run) {
    benchmark::BenchmarkName name = run.run_name;
    name.iterations.clear();
    return name.str();
}

} // namespace

bool MedianReporter::ReportContext(const Context& context) {
    if (context_shown_) {
        return true;
    }
    context_shown_ = true;
    return ConsoleReporter::ReportContext(context);
}

void MedianReporter::ReportRuns(const std::vector<Run>& reports) {
    for (const Run& run : reports) {
        // Aggregates and complexity fits come with --benchmark_repetitions > 1 within a
        // round; the rounds are what the report aggregates, so only the runs are kept.
        if (run.run_type != Run::RT_Iteration) {
            continue;
        }
        const std::string name = report_name(run);
        runs_[name].push_back(run);
        if (run.error_occurred) {
            continue;
        }
        Measurement& m = samples_[name];
        m.times_ns.push_back(nanoseconds(run));
        for (const auto& [counter, value] : run.counters) {
            m.counters[counter].push_back(value.value);
        }
    }
}

std::map<std::string, std::string> MedianReporter::failures() const {
    std::map<std::string, std::string> failed;
    for (const auto& [name, runs] : runs_) {
        const auto first =
            std::find_if(runs.begin(), runs.end(), [](const Run& r) { return r.error_occurred; });
        if (first != runs.end()) {
            const auto count = std::count_if(runs.begin(), runs.end(),
                                             [](const Run& r) { return r.error_occurred; });
            failed[name] = "failed in " + std::to_string(count) + " of " +
                           std::to_string(runs.size()) + " rounds: " + first->error_message;
        }
    }
    return failed;
}

void MedianReporter::print_medians() {
    std::vector<Run> shown;
    for (const auto& [name, runs] : runs_) {
        const auto found = samples_.find(name);
        if (found == samples_.end()) {
            shown.push_back(runs.front()); // every round failed: show the error once
        } else {
            std::vector<Run> good;
            std::copy_if(runs.begin(), runs.end(), std::back_inserter(good),
                         [](const Run& r) { return !r.error_occurred; });
            shown.push_back(median_row(good, found->second));
        }
    }
    std::stable_sort(shown.begin(), shown.end(), [](const Run& a, const Run& b) {
        return a.family_index < b.family_index ||
               (a.family_index == b.family_index &&
                a.per_family_instance_index < b.per_family_instance_index);
    });
    if (!shown.empty()) {
        ConsoleReporter::ReportRuns(shown);
    }
    ConsoleReporter::Finalize();
}

} // namespace ctxvar::bench
