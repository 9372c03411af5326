// Prints the report: the header (date, machine, method), the main table and the verdicts.
#include "report.hpp"

#include "formats.hpp"

#include "text_table.hpp"

#include <algorithm>
#include <ostream>

namespace ctxvar::bench {

namespace {

// A time under a microsecond as a plain number of ns (the section says "ns"); longer ones
// with their unit, so that 69 µs does not read as 69000.
std::string figure_text(double value, bool in_bytes) {
    if (value == 0) {
        return "0";
    }
    return in_bytes || value < 999.5 ? format_number(value) : format_ns(value);
}

void print_header(std::ostream& out, const RunDescription& run) {
    const Machine& m = run.machine;
    out << "\nctxvar benchmark report, " << m.date << '\n'
        << "machine: " << m.cpu << ", " << m.cores << " cores, " << m.kernel << '\n'
        << "build:   " << m.compiler << ' ' << m.flags << ", Boost " << m.boost << '\n';
    if (const auto python = run.python.find("python"); python != run.python.end()) {
        out << "CPython: " << python->second;
        for (const auto& [key, value] : run.python) {
            if (key != "python") {
                out << ", " << key << ' ' << value;
            }
        }
        out << '\n';
    }
    out << "time:    " << format_number(run.seconds) << " s for the rounds\n";
    out << "method:  medians of " << run.rounds << " rounds; a round runs every C++ benchmark once "
        << "(" << format_number(run.min_time) << " s each) in a shuffled order,\n"
        << "         then every CPython row once. ±: half the range of the rounds, as a share of "
        << "the median.\n"
        << "         A baseline's cell: its median, then in brackets that median divided by "
        << "ctxvar's\n"
        << "         (above 1x, ctxvar is faster, or smaller, by that factor). CPython's times\n"
        << "         include timeit's loop (a few ns) and, for run(noop), a Python call.\n";
}

// The cells of one section that the run has figures for, as text rows under its heading.
void add_section(std::vector<TableRow>& rows, const Section& section,
                 const std::vector<TableRowData>& data) {
    std::vector<const TableRowData*> mine;
    for (const TableRowData& d : data) {
        if (d.section == &section) {
            mine.push_back(&d);
        }
    }
    if (mine.empty()) {
        return;
    }
    // A baseline column with no figure in any row is left out.
    std::vector<std::size_t> shown{0};
    for (std::size_t c = 1; c < section.rows.front().figures.size(); ++c) {
        if (std::any_of(mine.begin(), mine.end(),
                        [&](const TableRowData* d) { return d->cells[c].summary.has_value(); })) {
            shown.push_back(c);
        }
    }
    rows.push_back({"#"});
    rows.push_back({"#" + section.title});
    TableRow header{section.columns.front()};
    for (const std::size_t c : shown) {
        header.push_back(section.columns[c + 1]);
    }
    header.push_back(shown.size() > 1 ? "baselines' ±" : "");
    rows.push_back(header);
    for (const TableRowData* d : mine) {
        const Summary& ctxvar = *d->cells.front().summary;
        TableRow row{d->row->label,
                     figure_text(ctxvar.median, section.in_bytes) + " " + format_spread(ctxvar)};
        Summary widest{0, 0, 0};
        for (std::size_t i = 1; i < shown.size(); ++i) {
            const std::optional<Summary>& baseline = d->cells[shown[i]].summary;
            if (!baseline) {
                row.push_back("-");
                continue;
            }
            // A figure of 0 (nothing allocated) has no ratio.
            const std::string ratio = ctxvar.median > 0 && baseline->median > 0
                                          ? format_number(baseline->median / ctxvar.median) + "x"
                                          : "-";
            row.push_back(figure_text(baseline->median, section.in_bytes) + " (" + ratio + ")");
            if (baseline->spread() > widest.spread()) {
                widest = *baseline;
            }
        }
        if (shown.size() > 1) {
            row.push_back(widest.median > 0 ? format_spread(widest) : "");
        }
        rows.push_back(std::move(row));
    }
}

} // namespace

std::vector<TableRowData> collect_table(const Samples& samples) {
    std::vector<TableRowData> data;
    for (const Section& section : report_sections()) {
        for (const LayoutRow& row : section.rows) {
            TableRowData d{&section, &row, {}};
            for (const std::string& figure : row.figures) {
                d.cells.push_back(
                    {figure, figure.empty() ? std::nullopt : find_summary(samples, figure)});
            }
            if (d.cells.front().summary) {
                data.push_back(std::move(d));
            }
        }
    }
    return data;
}

void print_report(std::ostream& out, const Samples& samples, const std::vector<Verdict>& verdicts,
                  const RunDescription& run) {
    print_header(out, run);
    const std::vector<TableRowData> data = collect_table(samples);
    std::vector<TableRow> rows;
    for (const Section& section : report_sections()) {
        add_section(rows, section, data);
    }
    print_table(out, rows);
    out << '\n';
    print_verdicts(out, verdicts);
    for (const std::string& note : run.notes) {
        out << "note: " << note << '\n';
    }
}

} // namespace ctxvar::bench
