// Plain-text tables for the report: the first column left-aligned, the others right-aligned,
// two spaces apart, widths counted in characters (UTF-8), not bytes.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ctxvar::bench {

using TableRow = std::vector<std::string>;

// Prints rows (the first is the header) padded to the widest cell of each column; a row with
// fewer cells than the widest row leaves the rest blank. A row of exactly one cell that starts
// with "#" is a section heading: printed without the "#", on its own line, not padded.
void print_table(std::ostream& out, const std::vector<TableRow>& rows);

// The number of characters of a UTF-8 string (its code points).
std::size_t display_width(const std::string& text);

} // namespace ctxvar::bench
