// Aligned plain-text tables.
#include "text_table.hpp"

#include <algorithm>
#include <ostream>

namespace ctxvar::bench {

namespace {

bool is_heading(const TableRow& row) {
    return row.size() == 1 && row.front().starts_with('#');
}

} // namespace

std::size_t display_width(const std::string& text) {
    // Every code point has exactly one byte that is not a continuation byte (10xxxxxx).
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

void print_table(std::ostream& out, const std::vector<TableRow>& rows) {
    std::vector<std::size_t> width;
    for (const TableRow& row : rows) {
        if (is_heading(row)) {
            continue;
        }
        width.resize(std::max(width.size(), row.size()));
        for (std::size_t c = 0; c != row.size(); ++c) {
            width[c] = std::max(width[c], display_width(row[c]));
        }
    }
    for (const TableRow& row : rows) {
        if (is_heading(row)) {
            out << row.front().substr(1) << '\n';
            continue;
        }
        std::string line;
        for (std::size_t c = 0; c != width.size(); ++c) {
            const std::string cell = c < row.size() ? row[c] : std::string();
            const std::string pad(width[c] - display_width(cell), ' ');
            line += c == 0 ? cell + pad : "  " + pad + cell;
        }
        line.erase(line.find_last_not_of(' ') + 1);
        out << line << '\n';
    }
}

} // namespace ctxvar::bench
