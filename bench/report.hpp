// The report ctxvar_bench prints at the end of a run: how it was measured and on what, the
// main table (report_layout.hpp) with every ctxvar figure beside its baselines and their
// ratios, then the verdicts on the bars of the issues.
#pragma once

#include "machine.hpp"
#include "ratios.hpp"
#include "report_layout.hpp"
#include "samples.hpp"

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ctxvar::bench {

// How the run was made, for the report's header and latest.json.
struct RunDescription {
    Machine machine;
    int rounds;
    double min_time;                           // seconds per benchmark per round
    std::map<std::string, std::string> python; // the Python side's "info" records
    double seconds;                            // the rounds' wall time
    std::vector<std::string> notes;            // skipped modules, missing figures, failures
};

void print_report(std::ostream& out, const Samples& samples, const std::vector<Verdict>& verdicts,
                  const RunDescription& run);

// A main-table cell's figure: the summary behind a reference, if the run has one.
struct Cell {
    std::string figure; // the reference, "" for no counterpart
    std::optional<Summary> summary;
};

// The main table's rows as data, shared by the printed table and latest.json: per section, per
// row, one cell per column after the label. A row whose ctxvar figure is missing is left out.
struct TableRowData {
    const Section* section;
    const LayoutRow* row;
    std::vector<Cell> cells;
};
std::vector<TableRowData> collect_table(const Samples& samples);

} // namespace ctxvar::bench
