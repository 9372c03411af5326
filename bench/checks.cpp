// The references of the report's main table and bars, checked against a run's figures.
#include "checks.hpp"

#include "report_layout.hpp"

namespace ctxvar::bench {

std::vector<std::string> referenced_figures() {
    std::vector<std::string> names = judged_benchmarks();
    for (const Section& section : report_sections()) {
        for (const LayoutRow& row : section.rows) {
            for (const std::string& figure : row.figures) {
                if (!figure.empty()) {
                    names.push_back(FigureRef::parse(figure).benchmark);
                }
            }
        }
    }
    return names;
}

std::vector<std::string> missing_table_figures(const Samples& samples,
                                               const ShouldExist& should_exist) {
    std::vector<std::string> missing;
    for (const Section& section : report_sections()) {
        for (const LayoutRow& row : section.rows) {
            for (const std::string& figure : row.figures) {
                const FigureRef ref = FigureRef::parse(figure);
                if (!figure.empty() && find_values(samples, ref) == nullptr &&
                    should_exist(ref.benchmark)) {
                    missing.push_back(figure);
                }
            }
        }
    }
    return missing;
}

} // namespace ctxvar::bench
