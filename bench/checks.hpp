// What a run should have measured and did not: the checks behind the report's notes and
// ctxvar_bench --strict, so that a renamed or failing benchmark cannot drop out unnoticed.
#pragma once

#include "ratios.hpp"
#include "samples.hpp"

#include <string>
#include <vector>

namespace ctxvar::bench {

// Every benchmark name the main table (report_layout.cpp) and the bars refer to.
std::vector<std::string> referenced_figures();

// The main table's figures that should_exist expects and the run does not have.
std::vector<std::string> missing_table_figures(const Samples& samples,
                                               const ShouldExist& should_exist);

} // namespace ctxvar::bench
