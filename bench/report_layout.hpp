// What the report's main table shows: sections of rows, each row one ctxvar figure beside the
// same operation done by its baselines. The figures are named by benchmark (FigureRef), so the
// layout is the one place that says which benchmark compares with which.
#pragma once

#include "variables.hpp"

#include <string>
#include <vector>

namespace ctxvar::bench {

struct LayoutRow {
    std::string label;
    // One figure reference per column of the section: the first is ctxvar's, the others its
    // baselines'; "" where a column has no counterpart for this row.
    std::vector<std::string> figures;
};

struct Section {
    std::string title;
    bool in_bytes; // the figures are byte counters, not times
    std::vector<std::string> columns;
    std::vector<LayoutRow> rows;
};

// The main table, in the order the report prints it.
const std::vector<Section>& report_sections();

} // namespace ctxvar::bench
