// The judged comparisons: their registry, filled by static initializers, and the table of
// ratios of medians that ctxvar_bench prints at the end of its run.
#include "ratios.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <ostream>
#include <regex>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ctxvar::bench {

namespace {

struct Comparison {
    std::string label;
    std::string subject;
    std::string baseline; // empty for an absolute bar
    Bar bar;
};

// A function-local static: benchmark files register from their own static initializers,
// which may run before this file's.
std::vector<Comparison>& registry() {
    static std::vector<Comparison> comparisons;
    return comparisons;
}

double checked(double value) {
    if (!(value > 0)) {
        throw std::invalid_argument("ctxvar::bench::Bar: the value must be positive");
    }
    return value;
}

// Whether --benchmark_filter selects the benchmark, read as Benchmark 1.7 reads it: an
// extended regular expression searched in the name, negated by a leading '-'; "" and "all"
// select everything. A filter that does not compile selected nothing (Benchmark stops).
bool filter_selects(const std::string& name) {
    std::string spec = benchmark::GetBenchmarkFilter();
    if (spec.empty() || spec == "all") {
        return true;
    }
    const bool negative = spec.front() == '-';
    if (negative) {
        spec.erase(0, 1);
    }
    try {
        return std::regex_search(name, std::regex(spec, std::regex::extended)) != negative;
    } catch (const std::regex_error&) {
        return false;
    }
}

std::string with_range(const std::vector<double>& times) {
    const Summary s = summarize(times);
    return format_time(s.median) + " ns (" + format_time(s.min) + ".." + format_time(s.max) + ")";
}

using Row = std::array<std::string, 6>;

// Left-aligns the label column and right-aligns the others, two spaces apart.
void print_table(std::ostream& out, const std::vector<Row>& rows) {
    Row::size_type columns = std::tuple_size_v<Row>;
    std::array<std::size_t, std::tuple_size_v<Row>> width{};
    for (const Row& row : rows) {
        for (std::size_t c = 0; c != columns; ++c) {
            width[c] = std::max(width[c], row[c].size());
        }
    }
    for (const Row& row : rows) {
        std::string line = row[0] + std::string(width[0] - row[0].size(), ' ');
        for (std::size_t c = 1; c != columns; ++c) {
            line += "  " + std::string(width[c] - row[c].size(), ' ') + row[c];
        }
        out << line << '\n';
    }
}

} // namespace

Bar Bar::at_most_times(double factor) {
    return {Kind::at_most_times, checked(factor)};
}

Bar Bar::at_least_times_faster(double factor) {
    return {Kind::at_least_times_faster, checked(factor)};
}

Bar Bar::at_most_ns(double nanoseconds) {
    return {Kind::at_most_ns, checked(nanoseconds)};
}

Bar Bar::at_most_ns_more(double nanoseconds) {
    return {Kind::at_most_ns_more, checked(nanoseconds)};
}

bool Bar::passes(double subject_ns, double baseline_ns) const {
    switch (kind_) {
    case Kind::at_most_times:
        return subject_ns <= value_ * baseline_ns;
    case Kind::at_least_times_faster:
        return subject_ns * value_ <= baseline_ns;
    case Kind::at_most_ns:
        return subject_ns <= value_;
    case Kind::at_most_ns_more:
        return subject_ns <= baseline_ns + value_;
    }
    return false;
}

std::string Bar::describe() const {
    // A bar is written by hand, usually a whole number: "2x", not "2.00x".
    const std::string value = value_ == std::floor(value_) && value_ < 1e15
                                  ? std::to_string(static_cast<long long>(value_))
                                  : format_time(value_);
    switch (kind_) {
    case Kind::at_most_times:
        return "<= " + value + "x";
    case Kind::at_least_times_faster:
        return ">= " + value + "x faster";
    case Kind::at_most_ns:
        return "<= " + value + " ns";
    case Kind::at_most_ns_more:
        return "<= +" + value + " ns";
    }
    return {};
}

bool judge(std::string label, std::string subject_benchmark, std::string baseline_benchmark,
           Bar bar) {
    if (bar.kind() == Bar::Kind::at_most_ns || baseline_benchmark.empty() ||
        subject_benchmark.empty()) {
        throw std::invalid_argument("ctxvar::bench::judge(\"" + label +
                                    "\"): a relative bar needs two benchmark names");
    }
    registry().push_back(
        {std::move(label), std::move(subject_benchmark), std::move(baseline_benchmark), bar});
    return true;
}

bool judge(std::string label, std::string subject_benchmark, Bar bar) {
    if (bar.kind() != Bar::Kind::at_most_ns || subject_benchmark.empty()) {
        throw std::invalid_argument("ctxvar::bench::judge(\"" + label +
                                    "\"): one benchmark name goes with an at_most_ns bar");
    }
    registry().push_back({std::move(label), std::move(subject_benchmark), {}, bar});
    return true;
}

void print_ratios(std::ostream& out, const Samples& samples) {
    std::vector<Row> rows{{"comparison", "subject", "baseline", "ratio", "bar", "verdict"}};
    std::vector<std::string> notes;
    for (const Comparison& c : registry()) {
        bool complete = true;
        for (const std::string* name : {&c.subject, &c.baseline}) {
            if (name->empty() || samples.contains(*name)) {
                continue;
            }
            complete = false;
            if (filter_selects(*name)) {
                notes.push_back("note: \"" + c.label + "\" not judged: " + *name +
                                " is selected but has no successful run (a misspelled name in"
                                " its judge(), or the benchmark failed)");
            }
        }
        if (!complete) {
            continue;
        }
        const std::vector<double>& subject_times = samples.at(c.subject);
        const double subject = summarize(subject_times).median;
        double baseline = 0;
        std::string baseline_cell = "-";
        std::string ratio_cell = "-";
        if (!c.baseline.empty()) {
            const std::vector<double>& baseline_times = samples.at(c.baseline);
            baseline = summarize(baseline_times).median;
            baseline_cell = with_range(baseline_times);
            if (c.bar.kind() == Bar::Kind::at_least_times_faster) {
                ratio_cell = format_time(baseline / subject) + "x faster";
            } else if (c.bar.kind() == Bar::Kind::at_most_ns_more) {
                const double more = subject - baseline;
                ratio_cell = (more < 0 ? "-" : "+") + format_time(std::fabs(more)) + " ns (" +
                             format_time(subject / baseline) + "x)";
            } else {
                ratio_cell = format_time(subject / baseline) + "x";
            }
        }
        rows.push_back({c.label, with_range(subject_times), baseline_cell, ratio_cell,
                        c.bar.describe(), c.bar.passes(subject, baseline) ? "PASS" : "MISS"});
    }
    if (rows.size() > 1) {
        out << "\nRatios of medians over interleaved repetitions (in brackets: min..max)\n";
        print_table(out, rows);
    }
    for (const std::string& note : notes) {
        out << note << '\n';
    }
}

} // namespace ctxvar::bench
