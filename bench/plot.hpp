// The plot of the report: the cost of get and of set+reset against the number of variables,
// ctxvar beside fiber_specific_ptr, thread_local and CPython, log scales. Written as a gnuplot
// script with its data inline; `gnuplot plot.gp`, run in its directory, draws get_set.svg.
#pragma once

#include "report.hpp"

#include <string>

namespace ctxvar::bench {

// The name of the SVG file the script draws, next to the script.
inline constexpr const char* plot_file_name = "get_set.svg";

// Writes the script (replacing it); throws std::runtime_error when it cannot be written.
void write_plot_script(const std::string& path, const Samples& samples, const RunDescription& run);

} // namespace ctxvar::bench
