// The gnuplot script: one datablock per operation (a row per number of variables, a column per
// implementation, NaN where there is no figure), then two log-log panels side by side.
#include "plot.hpp"

#include "formats.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace ctxvar::bench {

namespace {

struct Series {
    const char* title;
    const char* name; // between the operation and the count: "get/<name>/<n>"
    const char* style;
};

constexpr Series series[] = {
    {"ctxvar ContextVar", "ctxvar", "lc rgb '#d62728' lw 2.5 pt 7"},
    {"boost::fibers::fiber\\_specific\\_ptr", "fiber_specific_ptr", "lc rgb '#1f77b4' lw 1.5 pt 5"},
    {"raw thread\\_local", "thread_local", "lc rgb '#2ca02c' lw 1.5 pt 9"},
    {"CPython contextvars", "cpython", "lc rgb '#7f7f7f' lw 1.5 pt 11"},
};

std::string figure_name(const char* operation, const Series& s, int n) {
    const std::string count = std::to_string(n);
    const std::string op = operation;
    return std::string(s.name) == "cpython" ? "cpython/" + op + "/" + count
                                            : op + "/" + s.name + "/" + count;
}

// Inside '...' gnuplot reads every character as it is, except that '' is one quote.
std::string gnuplot_text(const std::string& text) {
    std::string out;
    for (const char c : text) {
        out += c == '\'' ? std::string("''") : std::string(1, c);
    }
    return out;
}

void write_data(std::ostream& out, const char* operation, const Samples& samples) {
    out << '$' << operation << " << EOD\n";
    for (const int n : variable_counts) {
        out << n;
        for (const Series& s : series) {
            const std::optional<Summary> summary =
                find_summary(samples, figure_name(operation, s, n));
            out << ' ' << (summary ? format_number(summary->median) : std::string("NaN"));
        }
        out << '\n';
    }
    out << "EOD\n";
}

// The panel's y range: from the decade below its smallest figure to two decades above its
// largest, so that the key fits in the top left corner above the lines.
void write_range(std::ostream& out, const char* operation, const Samples& samples) {
    double low = 0, high = 0;
    for (const int n : variable_counts) {
        for (const Series& s : series) {
            if (const std::optional<Summary> summary =
                    find_summary(samples, figure_name(operation, s, n))) {
                low = low == 0 ? summary->median : std::min(low, summary->median);
                high = std::max(high, summary->median);
            }
        }
    }
    if (low > 0) {
        out << "set yrange [" << std::pow(10, std::floor(std::log10(low))) << ':'
            << std::pow(10, std::ceil(std::log10(high)) + 1) << "]\n";
    }
}

void write_panel(std::ostream& out, const char* operation, const char* title,
                 const Samples& samples) {
    write_range(out, operation, samples);
    out << "set title '" << title << "'\n"
        << "plot ";
    for (std::size_t i = 0; i != std::size(series); ++i) {
        out << (i == 0 ? "" : ", \\\n     ") << '$' << operation << " using 1:" << i + 2
            << " with linespoints " << series[i].style << " title '" << series[i].title << "'";
    }
    out << '\n';
}

} // namespace

void write_plot_script(const std::string& path, const Samples& samples, const RunDescription& run) {
    // A bare file name has no directory to create.
    if (const auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) {
        std::filesystem::create_directories(dir);
    }
    std::ofstream out(path, std::ios::trunc);
    if (!out) {
        throw std::runtime_error("cannot write " + path);
    }
    out << "# Written by ctxvar_bench (./dev bench): run `gnuplot plot.gp` here to redraw "
        << plot_file_name << ".\n"
        << "# Medians in ns of " << run.rounds << " interleaved rounds, " << run.machine.date
        << ".\n";
    write_data(out, "get", samples);
    write_data(out, "set_reset", samples);
    out << "set terminal svg size 1000,440 dynamic font 'sans,12' background '#ffffff'\n"
        << "set output '" << plot_file_name << "'\n"
        << "set multiplot layout 1,2 title '"
        << gnuplot_text(run.machine.cpu + ", " + std::to_string(run.machine.cores) + " cores; " +
                        run.machine.compiler + ' ' + run.machine.flags + "; " + run.machine.date)
        << "' font ',11' noenhanced\n"
        << "set logscale xy\n"
        << "set xrange [0.7:14000]\n"
        << "set xtics ('1' 1, '8' 8, '64' 64, '1000' 1000, '10000' 10000)\n"
        << "set format y '%g'\n"
        << "set xlabel 'variables set in the context'\n"
        << "set ylabel 'ns per operation (median)'\n"
        << "set grid xtics ytics mytics lc rgb '#dddddd'\n"
        << "set key top left box opaque font ',10'\n";
    write_panel(out, "get", "get: read one variable", samples);
    write_panel(out, "set_reset", "set + reset of one variable", samples);
    out << "unset multiplot\n";
    out.close(); // a buffered write that fails (a full disk) fails here
    if (!out) {
        throw std::runtime_error("cannot write " + path);
    }
}

} // namespace ctxvar::bench
