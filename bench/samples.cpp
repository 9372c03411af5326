// Medians, spreads and the lookup of a figure by reference.
#include "samples.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

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

} // namespace ctxvar::bench
