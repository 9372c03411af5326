// How the report's tables print numbers: three significant digits, times with their unit,
// spreads as a percentage.
#pragma once

#include "samples.hpp"

#include <string>

namespace ctxvar::bench {

// Three significant digits and never an exponent ("0.283", "2.71", "41.3", "1234"), so the
// columns of a table read alike whatever the magnitude.
std::string format_number(double value);
// The spread as the report shows it: "±3.0%", "±0.4%", "±12%".
std::string format_spread(const Summary& summary);
// A time given in ns with the unit that keeps it short: "41.3 ns", "12.4 µs", "7.94 ms".
std::string format_ns(double nanoseconds);

} // namespace ctxvar::bench
