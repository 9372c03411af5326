// latest.json: every figure of a run (each benchmark's rounds, median and range, its
// counters), the main table with its baselines and ratios, the verdicts on the bars, and the
// machine and method, for tools and for comparing runs.
#pragma once

#include "report.hpp"

#include <string>

namespace ctxvar::bench {

// Writes the file (replacing it); throws std::runtime_error when it cannot be written.
void write_results_json(const std::string& path, const Samples& samples,
                        const std::vector<Verdict>& verdicts, const RunDescription& run);

} // namespace ctxvar::bench
