// The judged comparisons: their registry, filled by static initializers, their verdicts on the
// run's medians, and the table the report prints them in.
#include "ratios.hpp"

#include "formats.hpp"

#include "text_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <ostream>
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

std::string with_spread(const Summary& s) {
    return format_ns(s.median) + " " + format_spread(s);
}

// Bars judge times in ns: a "name:counter" reference (a table's way to show a counter) is
// refused, so that no verdict says "ns" of a byte count.
void refuse_counters(const std::string& label, const std::string& name) {
    if (name.find(':') != std::string::npos) {
        throw std::invalid_argument("ctxvar::bench::judge(\"" + label +
                                    "\"): bars judge times; \"" + name + "\" names a counter");
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
                                  : format_number(value_);
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
    refuse_counters(label, subject_benchmark);
    refuse_counters(label, baseline_benchmark);
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
    refuse_counters(label, subject_benchmark);
    if (bar.kind() != Bar::Kind::at_most_ns || subject_benchmark.empty()) {
        throw std::invalid_argument("ctxvar::bench::judge(\"" + label +
                                    "\"): one benchmark name goes with an at_most_ns bar");
    }
    registry().push_back({std::move(label), std::move(subject_benchmark), {}, bar});
    return true;
}

std::vector<Verdict> judge_all(const Samples& samples, const ShouldExist& should_exist,
                               std::vector<std::string>& problems) {
    std::vector<Verdict> verdicts;
    for (const Comparison& c : registry()) {
        const std::optional<Summary> subject = find_summary(samples, c.subject);
        const std::optional<Summary> baseline =
            c.baseline.empty() ? std::nullopt : find_summary(samples, c.baseline);
        if (!subject || (!c.baseline.empty() && !baseline)) {
            for (const std::string* name : {&c.subject, &c.baseline}) {
                if (!name->empty() && !find_summary(samples, *name) && should_exist(*name)) {
                    problems.push_back("\"" + c.label + "\" not judged: " + *name +
                                       " has no figure (a misspelled name in its judge(), or the"
                                       " benchmark failed)");
                }
            }
            continue;
        }
        Verdict v{
            c.label, c.subject, c.baseline,
            c.bar,   *subject,  baseline,
            0,       "-",       c.bar.passes(subject->median, baseline ? baseline->median : 0)};
        if (baseline) {
            v.ratio = subject->median / baseline->median;
            if (c.bar.kind() == Bar::Kind::at_least_times_faster) {
                v.ratio_text = format_number(baseline->median / subject->median) + "x faster";
            } else if (c.bar.kind() == Bar::Kind::at_most_ns_more) {
                const double more = subject->median - baseline->median;
                v.ratio_text = (more < 0 ? "-" : "+") + format_number(std::fabs(more)) + " ns (" +
                               format_number(v.ratio) + "x)";
            } else {
                v.ratio_text = format_number(v.ratio) + "x";
            }
        }
        verdicts.push_back(std::move(v));
    }
    return verdicts;
}

std::vector<std::string> judged_benchmarks() {
    std::vector<std::string> names;
    for (const Comparison& c : registry()) {
        names.push_back(c.subject);
        if (!c.baseline.empty()) {
            names.push_back(c.baseline);
        }
    }
    return names;
}

void print_verdicts(std::ostream& out, const std::vector<Verdict>& verdicts) {
    if (verdicts.empty()) {
        return;
    }
    std::vector<TableRow> rows{
        {"bar of the issues", "subject", "baseline", "ratio", "bar", "verdict"}};
    std::size_t held = 0;
    for (const Verdict& v : verdicts) {
        rows.push_back({v.label, with_spread(v.subject_summary),
                        v.baseline_summary ? with_spread(*v.baseline_summary) : "-", v.ratio_text,
                        v.bar.describe(), v.passes ? "PASS" : "MISS"});
        held += v.passes ? 1 : 0;
    }
    print_table(out, rows);
    out << held << " of " << verdicts.size() << " bars hold";
    if (held != verdicts.size()) {
        out << "; missed:";
        for (const Verdict& v : verdicts) {
            if (!v.passes) {
                out << "\n  - " << v.label << ": " << v.ratio_text << " against "
                    << v.bar.describe();
            }
        }
    }
    out << '\n';
}

} // namespace ctxvar::bench
