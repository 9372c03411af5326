// Medians, spreads and the lookup of a figure by reference; the way the tables print numbers.
#include "samples.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>

namespace ctxvar::bench {

double Summary::spread() const {
    return median == 0 ? 0 : (max - min) / 2 / std::fabs(median);
}

Summary summarize(std::vector<double> values) {
    assert(!values.empty());
    std::sort(values.begin(), values.end());
    const std::size_t mid = values.size() / 2;
    const double median =
        values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    return {median, values.front(), values.back()};
}

FigureRef FigureRef::parse(const std::string& reference) {
    const std::size_t colon = reference.find(':');
    if (colon == std::string::npos) {
        return {reference, {}};
    }
    return {reference.substr(0, colon), reference.substr(colon + 1)};
}

const std::vector<double>* find_values(const Samples& samples, const FigureRef& figure) {
    const auto found = samples.find(figure.benchmark);
    if (found == samples.end()) {
        return nullptr;
    }
    const Measurement& m = found->second;
    if (figure.is_time()) {
        return m.times_ns.empty() ? nullptr : &m.times_ns;
    }
    const auto counter = m.counters.find(figure.counter);
    return counter == m.counters.end() || counter->second.empty() ? nullptr : &counter->second;
}

std::optional<Summary> find_summary(const Samples& samples, const std::string& reference) {
    const std::vector<double>* values = find_values(samples, FigureRef::parse(reference));
    if (values == nullptr) {
        return std::nullopt;
    }
    return summarize(*values);
}

std::string format_number(double value) {
    // One decimal fewer per power of ten, judged on the rounded value: 9.996 prints "10.0".
    int decimals = 3;
    for (double limit = 1;
         decimals > 0 && std::fabs(value) >= limit - 0.5 * std::pow(10, -decimals); limit *= 10) {
        --decimals;
    }
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string format_spread(const Summary& summary) {
    const double percent = 100 * summary.spread();
    char text[32];
    std::snprintf(text, sizeof text, percent < 9.95 ? "±%.1f%%" : "±%.0f%%", percent);
    return text;
}

std::string format_ns(double nanoseconds) {
    const double magnitude = std::fabs(nanoseconds);
    if (magnitude >= 999.5e3) {
        return format_number(nanoseconds / 1e6) + " ms";
    }
    if (magnitude >= 999.5) {
        return format_number(nanoseconds / 1e3) + " µs";
    }
    return format_number(nanoseconds) + " ns";
}

} // namespace ctxvar::bench
