// The median and spread of one benchmark's repetitions, and the way the console rows and the
// ratio table print a time.
#include "samples.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>

namespace ctxvar::bench {

Summary summarize(std::vector<double> times) {
    assert(!times.empty());
    std::sort(times.begin(), times.end());
    const std::size_t mid = times.size() / 2;
    const double median = times.size() % 2 == 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
    return {median, times.front(), times.back()};
}

std::string format_time(double value) {
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

} // namespace ctxvar::bench
