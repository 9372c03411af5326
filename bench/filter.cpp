// The benchmark filter, applied to names Benchmark does not know: the CPython rows and the
// names the report's tables refer to.
#include "filter.hpp"

#include <benchmark/benchmark.h>

#include <regex>

namespace ctxvar::bench {

bool filter_selects_everything() {
    const std::string spec = benchmark::GetBenchmarkFilter();
    return spec.empty() || spec == "all";
}

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

} // namespace ctxvar::bench
