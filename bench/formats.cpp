// The number formats of the report's tables.
#include "formats.hpp"

#include <cmath>
#include <cstdio>

namespace ctxvar::bench {

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
