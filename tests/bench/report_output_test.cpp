// Tests of what ctxvar_bench writes from a run's figures, on synthetic samples against the real
// layout (report_layout.cpp): the main table's rows (collect_table), the printed report, the
// checks behind its notes, latest.json, the gnuplot script, and the Python side's runner with a
// shell script standing in for cpython_bench.py. The expected texts are worked out by hand from
// the rules in the code's comments (a baseline's ratio is its median over ctxvar's, "-" when
// either is 0, a column with no figure in any row left out, three significant digits), not
// copied from what the code prints. Nothing here reads the real machine: the Machine is made up.
#include "../../bench/checks.hpp"
#include "../../bench/machine.hpp"
#include "../../bench/plot.hpp"
#include "../../bench/python_baseline.hpp"
#include "../../bench/ratios.hpp"
#include "../../bench/report.hpp"
#include "../../bench/report_layout.hpp"
#include "../../bench/results_json.hpp"
#include "../../bench/samples.hpp"

#include <doctest/doctest.h>

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

using ctxvar::bench::Bar;
using ctxvar::bench::Machine;
using ctxvar::bench::PythonBaseline;
using ctxvar::bench::RunDescription;
using ctxvar::bench::Samples;
using ctxvar::bench::Section;
using ctxvar::bench::Summary;
using ctxvar::bench::TableRowData;
using ctxvar::bench::Verdict;

namespace fs = std::filesystem;

namespace {

// A fresh directory under the system's temporary directory, removed with all it holds.
class TempDir {
  public:
    TempDir() {
        std::string name = (fs::temp_directory_path() / "ctxvar_report_output_XXXXXX").string();
        if (mkdtemp(name.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + name);
        }
        path_ = name;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }

    const fs::path& path() const { return path_; }
    std::string operator/(const std::string& name) const { return (path_ / name).string(); }

  private:
    fs::path path_;
};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream file(path, std::ios::trunc);
    file << text;
    file.close();
    REQUIRE(file);
}

std::string read_file(const std::string& path) {
    std::ifstream file(path);
    REQUIRE(file);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::size_t count_lines(const std::string& path) {
    if (!fs::exists(path)) {
        return 0;
    }
    const std::string text = read_file(path);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

// A run made up for the tests: nothing of it comes from this machine.
Machine test_machine() {
    return {"2026-01-02 03:04 UTC",
            "Test CPU @ 1.00GHz",
            4,
            "Linux 6.0.0-test x86_64",
            "g++ 99.1.0",
            "-O2 -g",
            "1.81"};
}

RunDescription test_run(std::map<std::string, std::string> python = {},
                        std::vector<std::string> notes = {}) {
    return {test_machine(), 3, 0.5, std::move(python), 12.5, std::move(notes)};
}

const Section& section_titled(std::string_view start) {
    for (const Section& section : ctxvar::bench::report_sections()) {
        if (section.title.starts_with(start)) {
            return section;
        }
    }
    FAIL("no section starts with " << start);
    throw std::logic_error("unreachable");
}

const TableRowData* find_row(const std::vector<TableRowData>& data, std::string_view label) {
    for (const TableRowData& d : data) {
        if (d.row->label == label) {
            return &d;
        }
    }
    return nullptr;
}

// The column a row's cell c stands under: the section's columns start with the label's.
const std::string& column_of(const TableRowData& d, std::size_t c) {
    return d.section->columns.at(c + 1);
}

std::string report_text(const Samples& samples, const std::vector<Verdict>& verdicts,
                        const RunDescription& run) {
    std::ostringstream out;
    ctxvar::bench::print_report(out, samples, verdicts, run);
    return out.str();
}

const char* const method_lines =
    "method:  medians of 3 rounds; a round runs every C++ benchmark once (0.500 s each) in a "
    "shuffled order,\n"
    "         then every CPython row once. ±: half the range of the rounds, as a share of the "
    "median.\n"
    "         A baseline's cell: its median, then in brackets that median divided by ctxvar's\n"
    "         (above 1x, ctxvar is faster, or smaller, by that factor). CPython's times\n"
    "         include timeit's loop (a few ns) and, for run(noop), a Python call.\n";

bool have_python3() {
    return fs::exists("/usr/bin/python3");
}

// PythonBaseline's runs: /bin/sh stands in for the interpreter, a shell script for
// cpython_bench.py. Every script appends a line to "runs" in its directory, so that a test can
// count the rounds that really started it.
struct ShellScript {
    explicit ShellScript(const TempDir& dir, const std::string& body,
                         const std::string& name = "bench.sh")
        : path(dir / name), runs(dir / "runs") {
        write_file(path, "echo run >> '" + runs + "'\n" + body);
    }
    std::string path;
    std::string runs;
};

// printf '%s\n' '<line>' in a script: the line exactly, each quote in it written '\''.
std::string print_line(const std::string& line) {
    std::string quoted;
    for (const char c : line) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return "printf '%s\\n' '" + quoted + "'\n";
}

PythonBaseline::Keep keep_all() {
    return [](const std::string&) { return true; };
}

} // namespace

TEST_SUITE("bench_report_output") {
    // --- the layout --------------------------------------------------------------------------

    TEST_CASE("report_sections: every row has one figure per column; ctxvar's is never empty") {
        const std::vector<Section>& sections = ctxvar::bench::report_sections();
        REQUIRE(sections.size() == 4);
        CHECK(sections[0].title.starts_with("Context variables"));
        CHECK(sections[1].title.starts_with("Switching flows"));
        CHECK(sections[2].title.starts_with("Locals"));
        CHECK(sections[3].title.starts_with("Memory"));
        CHECK_FALSE(sections[0].in_bytes);
        CHECK(sections[3].in_bytes);
        for (const Section& section : sections) {
            CAPTURE(section.title);
            REQUIRE_FALSE(section.rows.empty());
            for (const auto& row : section.rows) {
                CAPTURE(row.label);
                CHECK(row.figures.size() + 1 == section.columns.size());
                REQUIRE_FALSE(row.figures.empty());
                CHECK_FALSE(row.figures.front().empty());
                // A byte section shows counters only, a time section times only.
                for (const std::string& figure : row.figures) {
                    if (!figure.empty()) {
                        CHECK(ctxvar::bench::FigureRef::parse(figure).is_time() ==
                              !section.in_bytes);
                    }
                }
            }
        }
    }

    // --- collect_table -----------------------------------------------------------------------

    TEST_CASE("collect_table: a row only where ctxvar has a figure; cells under their columns") {
        Samples samples;
        samples["get/ctxvar/8"].times_ns = {3, 1, 2};
        samples["get/thread_local/8"].times_ns = {8};
        samples["get/fiber_specific_ptr/8"].times_ns = {20, 10};
        samples["cpython/get/8"].times_ns = {50};
        samples["get/thread_local/1"].times_ns = {3}; // no get/ctxvar/1: no row
        samples["cpython/get/64"].times_ns = {40};    // no get/ctxvar/64 either
        // pthread's keys stop at 1000: its column has no figure at n = 10000, whatever the run.
        samples["get/ctxvar/10000"].times_ns = {20};
        samples["get/pthread_getspecific/10000"].times_ns = {7};
        samples["get/pthread_getspecific/1000"].times_ns = {6}; // no get/ctxvar/1000
        // Memory rows read counters ("name:counter"), not times.
        samples["memory/ctxvar/8"].counters["bytes_per_var"] = {60, 50, 70};
        samples["cpython/memory/8"].counters["bytes_per_var"] = {100};
        samples["memory/ctxvar/64"].times_ns = {5}; // a time but not the counter: no row
        samples["memory/ctxvar/64"].counters["other"] = {5};

        const std::vector<TableRowData> data = ctxvar::bench::collect_table(samples);
        REQUIRE(data.size() == 3);

        const Section& context = section_titled("Context variables");
        const Section& memory = section_titled("Memory");

        // In the layout's order: the context rows by n, then memory.
        const TableRowData& get8 = data[0];
        CHECK(get8.section == &context);
        CHECK(get8.row->label == "get, n = 8");
        CHECK(get8.row == &context.rows[1]); // after "get, n = 1"
        REQUIRE(get8.cells.size() == 6);
        CHECK(get8.cells[0].figure == "get/ctxvar/8");
        CHECK(column_of(get8, 0) == "ctxvar");
        REQUIRE(get8.cells[0].summary);
        CHECK(get8.cells[0].summary->median == 2);
        CHECK(get8.cells[0].summary->min == 1);
        CHECK(get8.cells[0].summary->max == 3);

        CHECK(get8.cells[1].figure == "get/thread_local/8");
        CHECK(column_of(get8, 1) == "thread_local");
        REQUIRE(get8.cells[1].summary);
        CHECK(get8.cells[1].summary->median == 8);

        CHECK(get8.cells[2].figure == "get/pthread_getspecific/8");
        CHECK(column_of(get8, 2) == "pthread_*specific");
        CHECK_FALSE(get8.cells[2].summary);

        CHECK(get8.cells[3].figure == "get/thread_specific_ptr/8");
        CHECK(column_of(get8, 3) == "thread_specific_ptr");
        CHECK_FALSE(get8.cells[3].summary);

        CHECK(get8.cells[4].figure == "get/fiber_specific_ptr/8");
        CHECK(column_of(get8, 4) == "fiber_specific_ptr");
        REQUIRE(get8.cells[4].summary);
        CHECK(get8.cells[4].summary->median == 15);

        CHECK(get8.cells[5].figure == "cpython/get/8");
        CHECK(column_of(get8, 5) == "CPython");
        REQUIRE(get8.cells[5].summary);
        CHECK(get8.cells[5].summary->median == 50);

        const TableRowData& get10000 = data[1];
        CHECK(get10000.section == &context);
        CHECK(get10000.row->label == "get, n = 10000");
        REQUIRE(get10000.cells.size() == 6);
        REQUIRE(get10000.cells[0].summary);
        CHECK(get10000.cells[0].summary->median == 20);
        CHECK(get10000.cells[1].figure == "get/thread_local/10000");
        CHECK_FALSE(get10000.cells[1].summary);
        CHECK(get10000.cells[2].figure.empty()); // pthread: no counterpart at 10000
        CHECK_FALSE(get10000.cells[2].summary);
        CHECK(get10000.cells[3].figure == "get/thread_specific_ptr/10000");

        const TableRowData& memory8 = data[2];
        CHECK(memory8.section == &memory);
        CHECK(memory8.row->label == "per variable, n = 8");
        REQUIRE(memory8.cells.size() == 3);
        CHECK(memory8.cells[0].figure == "memory/ctxvar/8:bytes_per_var");
        REQUIRE(memory8.cells[0].summary);
        CHECK(memory8.cells[0].summary->median == 60);
        CHECK(memory8.cells[0].summary->min == 50);
        CHECK(memory8.cells[0].summary->max == 70);
        CHECK(memory8.cells[1].figure.empty());
        CHECK(column_of(memory8, 1) == "without context");
        CHECK_FALSE(memory8.cells[1].summary);
        CHECK(memory8.cells[2].figure == "cpython/memory/8:bytes_per_var");
        CHECK(column_of(memory8, 2) == "CPython");
        REQUIRE(memory8.cells[2].summary);
        CHECK(memory8.cells[2].summary->median == 100);

        CHECK_FALSE(find_row(data, "get, n = 1"));
        CHECK_FALSE(find_row(data, "get, n = 64"));
        CHECK_FALSE(find_row(data, "get, n = 1000"));
        CHECK_FALSE(find_row(data, "per variable, n = 64"));
    }

    TEST_CASE("collect_table: nothing for a run without figures") {
        CHECK(ctxvar::bench::collect_table({}).empty());
    }

    // --- print_report --------------------------------------------------------------------------

    TEST_CASE("print_report: header, a section with ratios and hidden columns, verdicts, notes") {
        Samples samples;
        // get, n = 8: ctxvar median 2 (±0.1, 5%), baselines 8 and 1500 ns (±100, 6.7%).
        samples["get/ctxvar/8"].times_ns = {2, 1.9, 2.1};
        samples["get/thread_local/8"].times_ns = {8};
        samples["get/fiber_specific_ptr/8"].times_ns = {1500, 1400, 1600};
        // get, n = 64: no thread_local figure ("-"); CPython's spread is 25%.
        samples["get/ctxvar/64"].times_ns = {4};
        samples["cpython/get/64"].times_ns = {40, 30, 50};
        // get, n = 10000: 999.4 stays in ns, 999.6 takes a unit; pthread has no column here.
        samples["get/ctxvar/10000"].times_ns = {999.4};
        samples["get/thread_local/10000"].times_ns = {999.6};
        samples["get/pthread_getspecific/10000"].times_ns = {5};
        // A baseline without ctxvar's figure makes no row.
        samples["get/thread_local/1"].times_ns = {3};

        const std::vector<Verdict> verdicts{
            {"test/output/bar", "get/ctxvar/8", "get/thread_local/8", Bar::at_most_times(2),
             Summary{2, 1.9, 2.1}, Summary{8, 8, 8}, 0.25, "0.250x", true},
        };
        const RunDescription run =
            test_run({{"python", "3.11.2"}, {"greenlet", "2.0.2"}, {"werkzeug", "2.2.2"}},
                     {"a first note", "CPython rows of x skipped: why"});

        const std::string text = report_text(samples, verdicts, run);
        // Widths: labels 14 ("get, n = 10000"), ctxvar 10, thread_local 15 ("1.00 µs (1.00x)"),
        // fiber_specific_ptr 18 (its name), CPython 12, "baselines' ±" 12. The columns
        // pthread_*specific and thread_specific_ptr have no figure in any row: left out.
        // Ratios: 8 / 2 = 4, 1500 / 2 = 750, 40 / 4 = 10, 999.6 / 999.4 = 1.0002.
        const std::string expected =
            std::string("\n"
                        "ctxvar benchmark report, 2026-01-02 03:04 UTC\n"
                        "machine: Test CPU @ 1.00GHz, 4 cores, Linux 6.0.0-test x86_64\n"
                        "build:   g++ 99.1.0 -O2 -g, Boost 1.81\n"
                        "CPython: 3.11.2, greenlet 2.0.2, werkzeug 2.2.2\n"
                        "time:    12.5 s for the rounds\n") +
            method_lines +
            "\n"
            "Context variables: ns per operation on one of n variables set in the current "
            "context\n"
            "operation           ctxvar     thread_local  fiber_specific_ptr       CPython  "
            "baselines' ±\n"
            "get, n = 8      2.00 ±5.0%     8.00 (4.00x)      1.50 µs (750x)             -      "
            "   ±6.7%\n"
            "get, n = 64     4.00 ±0.0%                -                   -  40.0 (10.0x)      "
            "    ±25%\n"
            "get, n = 10000   999 ±0.0%  1.00 µs (1.00x)                   -             -\n"
            "\n"
            "bar of the issues        subject       baseline   ratio    bar  verdict\n"
            "test/output/bar    2.00 ns ±5.0%  8.00 ns ±0.0%  0.250x  <= 2x     PASS\n"
            "1 of 1 bars hold\n"
            "note: a first note\n"
            "note: CPython rows of x skipped: why\n";
        CHECK(text == expected);
        // The essentials on their own, for a clearer failure.
        CHECK(contains(text, "8.00 (4.00x)"));
        CHECK_FALSE(contains(text, "pthread_*specific"));
        CHECK_FALSE(contains(text, "thread_specific_ptr"));
        CHECK_FALSE(contains(text, "get, n = 1 "));
    }

    TEST_CASE("print_report: the CPython line only with the interpreter's info") {
        const std::string build_then_time = "build:   g++ 99.1.0 -O2 -g, Boost 1.81\n"
                                            "time:    12.5 s for the rounds\n";
        {
            const std::string text = report_text({}, {}, test_run());
            CHECK(contains(text, build_then_time));
            CHECK_FALSE(contains(text, "CPython:"));
            // No figures, verdicts or notes: the header, then the blank line after the table.
            CHECK(text == std::string("\n"
                                      "ctxvar benchmark report, 2026-01-02 03:04 UTC\n"
                                      "machine: Test CPU @ 1.00GHz, 4 cores, Linux 6.0.0-test "
                                      "x86_64\n") +
                              build_then_time + method_lines + "\n");
        }
        {
            // Module versions without the interpreter's: the script never ran far enough.
            const std::string text = report_text({}, {}, test_run({{"greenlet", "2.0.2"}}));
            CHECK(contains(text, build_then_time));
            CHECK_FALSE(contains(text, "CPython:"));
        }
        {
            const std::string text = report_text({}, {}, test_run({{"python", "3.11.2 (main)"}}));
            CHECK(contains(text, "build:   g++ 99.1.0 -O2 -g, Boost 1.81\n"
                                 "CPython: 3.11.2 (main)\n"
                                 "time:    12.5 s for the rounds\n"));
        }
    }

    TEST_CASE("print_report: byte sections without units, '-' for a 0 figure, one-column rows") {
        Samples samples;
        // A flow with ctxvar's figure alone: its baseline columns are left out, and so is the
        // "baselines' ±" heading. 1500 ns is a time: it takes its unit.
        samples["fiber/yield/ctxvar"].times_ns = {1500};
        // Memory: nothing allocated by ctxvar (0: no ratio), 1500 bytes (a count, no unit),
        // a baseline that allocated nothing (0: no ratio), 3000 ± 100 bytes (3.3%).
        samples["memory/ctxvar/8"].counters["bytes_per_var"] = {0};
        samples["cpython/memory/8"].counters["bytes_per_var"] = {120};
        samples["memory/ctxvar/64"].counters["bytes_per_var"] = {1500};
        samples["cpython/memory/64"].counters["bytes_per_var"] = {3000, 2900, 3100};
        samples["fiber/memory/idle_ctxvar"].counters["heap_bytes_per_fiber"] = {64};
        samples["fiber/memory/idle_plain"].counters["heap_bytes_per_fiber"] = {0};

        const std::string text = report_text(samples, {}, test_run());
        // Widths: labels 22 ("fiber yield round trip"), ctxvar 13 ("1.50 µs ±0.0%"), without
        // context 15, CPython 12 ("3000 (2.00x)"), "baselines' ±" 12.
        const std::string table =
            "\n"
            "Switching flows: ns per operation; without context = the same runtime alone (a raw "
            "boost::context::fiber,\n"
            "plain Boost.Fiber round_robin, ctxvar::coro::BasicTask<T, false>)\n"
            "operation                      ctxvar\n"
            "fiber yield round trip  1.50 µs ±0.0%\n"
            "\n"
            "Memory: heap bytes (glibc's: malloc headers included; CPython's: tracemalloc's)\n"
            "what                           ctxvar  without context       CPython  baselines' ±\n"
            "per variable, n = 8           0 ±0.0%                -       120 (-)\n"
            "per variable, n = 64       1500 ±0.0%                -  3000 (2.00x)         ±3.3%\n"
            "per idle fiber, heap       64.0 ±0.0%            0 (-)             -\n"
            "\n";
        CHECK(contains(text, std::string(method_lines) + table));
        CHECK(text.ends_with(table)); // no verdicts, no notes
        CHECK_FALSE(contains(text, "Context variables"));
        CHECK_FALSE(contains(text, "Locals"));
    }

    // --- checks: referenced and missing figures ------------------------------------------------

    TEST_CASE("missing_table_figures: absent figures that should_exist expects, with counters") {
        Samples samples;
        samples["get/ctxvar/8"].times_ns = {2};
        samples["memory/ctxvar/64"].times_ns = {1}; // a time, not the counter the table shows
        samples["memory/ctxvar/1"].counters["bytes_per_var"] = {60};

        std::vector<std::string> asked;
        const std::set<std::string> expected_names{
            "get/ctxvar/1",    "get/ctxvar/8",     "get/thread_local/8", "memory/ctxvar/1",
            "memory/ctxvar/8", "memory/ctxvar/64", "cpython/memory/8",
        };
        const std::vector<std::string> missing =
            ctxvar::bench::missing_table_figures(samples, [&](const std::string& name) {
                asked.push_back(name);
                return expected_names.contains(name);
            });
        // In the layout's order; present figures and unexpected ones are not reported.
        const std::vector<std::string> expected{
            "get/ctxvar/1",
            "get/thread_local/8",
            "memory/ctxvar/8:bytes_per_var",
            "cpython/memory/8:bytes_per_var",
            "memory/ctxvar/64:bytes_per_var",
        };
        CHECK(missing == expected);
        // should_exist hears benchmark names: never "", never a ":counter".
        CHECK_FALSE(asked.empty());
        for (const std::string& name : asked) {
            CAPTURE(name);
            CHECK_FALSE(name.empty());
            CHECK(name.find(':') == std::string::npos);
        }
        CHECK(std::count(asked.begin(), asked.end(), "memory/ctxvar/8") == 1);
        // Nothing expected, nothing missing.
        CHECK(ctxvar::bench::missing_table_figures(samples, [](const std::string&) {
                  return false;
              }).empty());
    }

    TEST_CASE("missing_table_figures: with every figure expected, every non-empty layout figure") {
        std::size_t figures = 0;
        for (const Section& section : ctxvar::bench::report_sections()) {
            for (const auto& row : section.rows) {
                figures += static_cast<std::size_t>(
                    std::count_if(row.figures.begin(), row.figures.end(),
                                  [](const std::string& f) { return !f.empty(); }));
            }
        }
        const std::vector<std::string> missing =
            ctxvar::bench::missing_table_figures({}, [](const std::string&) { return true; });
        CHECK(missing.size() == figures);
        const auto has = [&](std::string_view name) {
            return std::find(missing.begin(), missing.end(), name) != missing.end();
        };
        CHECK(has("get/pthread_getspecific/1000"));
        CHECK_FALSE(has("get/pthread_getspecific/10000")); // above pthread's key limit
        CHECK(has("greenlet/memory/idle:resident_bytes_per_greenlet"));
        CHECK(has("cpython/greenlet/memory/idle:bytes_per_greenlet"));
        CHECK_FALSE(has(""));
    }

    TEST_CASE("referenced_figures: the layout's benchmarks without counters, and judged names") {
        static const bool registered = [] {
            ctxvar::bench::judge("test/output/referenced", "test/output/judged_subject",
                                 "test/output/judged_baseline", Bar::at_most_times(2));
            return true;
        }();
        CHECK(registered);

        const std::vector<std::string> names = ctxvar::bench::referenced_figures();
        const auto has = [&](std::string_view name) {
            return std::find(names.begin(), names.end(), name) != names.end();
        };
        CHECK(has("get/ctxvar/8"));
        CHECK(has("get/pthread_getspecific/1000"));
        CHECK_FALSE(has("get/pthread_getspecific/10000"));
        CHECK(has("cpython/set_reset/10000"));
        CHECK(has("locals/get/ctxvar"));
        CHECK(has("memory/ctxvar/8")); // from "memory/ctxvar/8:bytes_per_var"
        CHECK(has("cpython/memory/8"));
        CHECK(has("greenlet/memory/idle"));
        CHECK(has("coro/memory/idle_plain"));
        CHECK(has("test/output/judged_subject"));
        CHECK(has("test/output/judged_baseline"));
        for (const std::string& name : names) {
            CAPTURE(name);
            CHECK_FALSE(name.empty());
            CHECK(name.find(':') == std::string::npos);
        }
    }

    // --- latest.json -----------------------------------------------------------------------------

    TEST_CASE("write_results_json: valid JSON with the run, the table, ratios, bars and rounds") {
        Samples samples;
        samples["get/ctxvar/8"].times_ns = {2, 1.9, 2.1};
        samples["get/thread_local/8"].times_ns = {8};
        samples["cpython/get/8"].times_ns = {1};
        samples["get/thread_local/1"].times_ns = {3}; // no row, but among the benchmarks
        samples["memory/ctxvar/8"].counters["bytes_per_var"] = {0};
        samples["cpython/memory/8"].counters["bytes_per_var"] = {120};
        samples["memory/ctxvar/64"].times_ns = {6, 5}; // rounds in the order measured
        samples["memory/ctxvar/64"].counters["bytes_per_var"] = {1500};
        samples["cpython/memory/64"].counters["bytes_per_var"] = {3000, 2900, 3100};
        samples["fiber/memory/idle_ctxvar"].counters["heap_bytes_per_fiber"] = {64};
        samples["fiber/memory/idle_ctxvar"].counters["stack_bytes_per_fiber"] = {0};
        samples["fiber/memory/idle_plain"].counters["heap_bytes_per_fiber"] = {0};

        const std::vector<Verdict> verdicts{
            {"test/output/relative", "get/ctxvar/8", "get/thread_local/8", Bar::at_most_times(2),
             Summary{2, 1.9, 2.1}, Summary{8, 8, 8}, 0.25, "0.250x", true},
            {"test/output/absolute", "get/ctxvar/8", "", Bar::at_most_ns(1), Summary{2, 1.9, 2.1},
             std::nullopt, 0, "-", false},
        };
        const RunDescription run = test_run({{"python", "3.11.2"}, {"greenlet", "2.0.2"}},
                                            {"a first note", "a \"quoted\" note"});

        const TempDir dir;
        const std::string path = dir / "not/there/yet/latest.json"; // directories created
        ctxvar::bench::write_results_json(path, samples, verdicts, run);
        REQUIRE(fs::is_regular_file(path));
        const std::string json = read_file(path);

        // The figures and ratios worked out by hand: 8 / 2 = 4, 1 / 2 = 0.5, 3000 / 1500 = 2,
        // null where either median is 0.
        CHECK(contains(json, "\"baseline_over_ctxvar\": 4\n"));
        CHECK(contains(json, "\"baseline_over_ctxvar\": 0.5\n"));
        CHECK(contains(json, "\"baseline_over_ctxvar\": 2\n"));
        CHECK(contains(json, "\"baseline_over_ctxvar\": null\n"));
        CHECK(contains(json, "\"seconds\": 12.5"));
        CHECK(contains(json, "\"rounds\": [2, 1.9, 2.1]"));
        CHECK(contains(json, "\"rounds\": [6, 5]"));
        CHECK(contains(json, "\"cpu\": \"Test CPU @ 1.00GHz\""));
        CHECK(contains(json, "\"a \\\"quoted\\\" note\""));

        if (!have_python3()) {
            MESSAGE("/usr/bin/python3 not found: latest.json not checked with Python's json");
            return;
        }
        const std::string check = dir / "check.py";
        write_file(check, R"PY(
import json, sys

def reject(constant):
    raise ValueError("not JSON: " + constant)

with open(sys.argv[1], encoding="utf-8") as f:
    d = json.load(f, parse_constant=reject)

failures = []
def expect(what, got, want):
    if got != want:
        failures.append(f"{what}:\n  got  {got!r}\n  want {want!r}")

def summary(median, low, high, **more):
    return {"median": median, "min": low, "max": high, **more}

def rounds(median, low, high, values):
    return summary(median, low, high, rounds=values)

expect("keys", list(d), ["report", "date", "machine", "build", "python", "method", "table",
                         "bars", "benchmarks", "notes"])
expect("report", d["report"], "ctxvar benchmark report")
expect("date", d["date"], "2026-01-02 03:04 UTC")
expect("machine", d["machine"],
       {"cpu": "Test CPU @ 1.00GHz", "cores": 4, "kernel": "Linux 6.0.0-test x86_64"})
expect("build", d["build"], {"compiler": "g++ 99.1.0", "flags": "-O2 -g", "boost": "1.81"})
expect("python", d["python"], {"python": "3.11.2", "greenlet": "2.0.2"})
method = d["method"]
expect("rounds", method["rounds"], 3)
expect("min_time_s", method["min_time_s"], 0.5)
expect("seconds", method["seconds"], 12.5)
expect("statistic", isinstance(method["statistic"], str), True)

context = "Context variables: ns per operation on one of n variables set in the current context"
memory = "Memory: heap bytes (glibc's: malloc headers included; CPython's: tracemalloc's)"
def row(section, label, unit, ctxvar, baselines):
    return {"section": section, "row": label, "unit": unit, "ctxvar": ctxvar,
            "baselines": baselines}
def cell(column, figure, median, low, high, ratio):
    return {"column": column, "figure": figure, **summary(median, low, high),
            "baseline_over_ctxvar": ratio}
expected_table = [
    row(context, "get, n = 8", "ns", {"figure": "get/ctxvar/8", **summary(2, 1.9, 2.1)},
        [cell("thread_local", "get/thread_local/8", 8, 8, 8, 4),
         cell("CPython", "cpython/get/8", 1, 1, 1, 0.5)]),
    row(memory, "per variable, n = 8", "bytes",
        {"figure": "memory/ctxvar/8:bytes_per_var", **summary(0, 0, 0)},
        [cell("CPython", "cpython/memory/8:bytes_per_var", 120, 120, 120, None)]),
    row(memory, "per variable, n = 64", "bytes",
        {"figure": "memory/ctxvar/64:bytes_per_var", **summary(1500, 1500, 1500)},
        [cell("CPython", "cpython/memory/64:bytes_per_var", 3000, 2900, 3100, 2)]),
    row(memory, "per idle fiber, heap", "bytes",
        {"figure": "fiber/memory/idle_ctxvar:heap_bytes_per_fiber", **summary(64, 64, 64)},
        [cell("without context", "fiber/memory/idle_plain:heap_bytes_per_fiber", 0, 0, 0,
              None)]),
    row(memory, "per fiber, its stack", "bytes",
        {"figure": "fiber/memory/idle_ctxvar:stack_bytes_per_fiber", **summary(0, 0, 0)}, []),
]
expect("table length", len(d["table"]), len(expected_table))
for i, (got, want) in enumerate(zip(d["table"], expected_table)):
    expect(f"table[{i}]", got, want)

expect("bars", d["bars"], [
    {"label": "test/output/relative", "subject": "get/ctxvar/8", "subject_median_ns": 2,
     "baseline": "get/thread_local/8", "baseline_median_ns": 8, "subject_over_baseline": 0.25,
     "ratio": "0.250x", "bar": "<= 2x", "verdict": "PASS"},
    {"label": "test/output/absolute", "subject": "get/ctxvar/8", "subject_median_ns": 2,
     "ratio": "-", "bar": "<= 1 ns", "verdict": "MISS"},
])

expect("benchmarks", d["benchmarks"], {
    "get/ctxvar/8": {"time_ns": rounds(2, 1.9, 2.1, [2, 1.9, 2.1])},
    "get/thread_local/8": {"time_ns": rounds(8, 8, 8, [8])},
    "cpython/get/8": {"time_ns": rounds(1, 1, 1, [1])},
    "get/thread_local/1": {"time_ns": rounds(3, 3, 3, [3])},
    "memory/ctxvar/8": {"counters": {"bytes_per_var": rounds(0, 0, 0, [0])}},
    "cpython/memory/8": {"counters": {"bytes_per_var": rounds(120, 120, 120, [120])}},
    "memory/ctxvar/64": {"time_ns": rounds(5.5, 5, 6, [6, 5]),
                         "counters": {"bytes_per_var": rounds(1500, 1500, 1500, [1500])}},
    "cpython/memory/64": {"counters": {"bytes_per_var":
                                       rounds(3000, 2900, 3100, [3000, 2900, 3100])}},
    "fiber/memory/idle_ctxvar": {"counters": {
        "heap_bytes_per_fiber": rounds(64, 64, 64, [64]),
        "stack_bytes_per_fiber": rounds(0, 0, 0, [0])}},
    "fiber/memory/idle_plain": {"counters": {"heap_bytes_per_fiber": rounds(0, 0, 0, [0])}},
})
expect("notes", d["notes"], ["a first note", 'a "quoted" note'])

for failure in failures:
    print(failure, file=sys.stderr)
sys.exit(1 if failures else 0)
)PY");
        const std::string command = "/usr/bin/python3 '" + check + "' '" + path + "'";
        CHECK(std::system(command.c_str()) == 0);
    }

    TEST_CASE("write_results_json: replaces the file; throws std::runtime_error if unwritable") {
        const TempDir dir;
        const std::string path = dir / "latest.json";
        write_file(path, std::string(10000, 'x'));
        ctxvar::bench::write_results_json(path, {}, {}, test_run());
        const std::string json = read_file(path);
        CHECK(json.starts_with("{\n  \"report\": \"ctxvar benchmark report\",\n"));
        CHECK(json.ends_with("\"notes\": []\n}\n"));
        CHECK(json.size() < 10000);
        CHECK_FALSE(contains(json, "xxxxxxxx"));
        CHECK(contains(json, "\"table\": [],\n"));
        CHECK(contains(json, "\"benchmarks\": {},\n"));

        // A directory where the file should be, and a file where a directory should be.
        CHECK_THROWS_AS(ctxvar::bench::write_results_json(dir.path().string(), {}, {}, test_run()),
                        std::runtime_error);
        CHECK_THROWS_AS(
            ctxvar::bench::write_results_json(path + "/inside.json", {}, {}, test_run()),
            std::runtime_error);
        // A device that refuses every write: the failure shows when the file is closed.
        if (fs::exists("/dev/full")) {
            CHECK_THROWS_WITH_AS(ctxvar::bench::write_results_json("/dev/full", {}, {}, test_run()),
                                 "cannot write /dev/full", std::runtime_error);
        } else {
            MESSAGE("/dev/full not found: a failed write not checked");
        }
    }

    // --- the gnuplot script ----------------------------------------------------------------------

    TEST_CASE("write_plot_script: datablocks of medians and NaN, y ranges, a quoted title") {
        Samples samples;
        samples["get/ctxvar/1"].times_ns = {3, 2, 4};
        samples["get/ctxvar/8"].times_ns = {5};
        samples["get/ctxvar/64"].times_ns = {7.25};
        samples["get/ctxvar/1000"].times_ns = {12.5};
        samples["get/ctxvar/10000"].times_ns = {41.3};
        samples["get/fiber_specific_ptr/1"].times_ns = {10, 20};
        samples["get/fiber_specific_ptr/8"].times_ns = {30};
        samples["get/thread_local/1"].times_ns = {0.5};
        samples["get/thread_local/8"].times_ns = {0.6};
        samples["get/thread_local/64"].times_ns = {0.7};
        samples["get/thread_local/1000"].times_ns = {0.8};
        samples["cpython/get/8"].times_ns = {50};
        samples["cpython/get/64"].times_ns = {1234};
        samples["get/pthread_getspecific/8"].times_ns = {0.1}; // not plotted
        samples["set_reset/ctxvar/1"].times_ns = {20};
        samples["cpython/set_reset/1000"].times_ns = {600};

        RunDescription run = test_run();
        run.machine.cpu = "Test's CPU";
        run.machine.flags = "-DX='1'";

        const TempDir dir;
        const std::string path = dir / "plots/plot.gp"; // the directory is created
        ctxvar::bench::write_plot_script(path, samples, run);
        const std::string script = read_file(path);

        // Columns: n, then ctxvar, fiber_specific_ptr, thread_local, CPython.
        CHECK(contains(script, "$get << EOD\n"
                               "1 3.00 15.0 0.500 NaN\n"
                               "8 5.00 30.0 0.600 50.0\n"
                               "64 7.25 NaN 0.700 1234\n"
                               "1000 12.5 NaN 0.800 NaN\n"
                               "10000 41.3 NaN NaN NaN\n"
                               "EOD\n"
                               "$set_reset << EOD\n"
                               "1 20.0 NaN NaN NaN\n"
                               "8 NaN NaN NaN NaN\n"
                               "64 NaN NaN NaN NaN\n"
                               "1000 NaN NaN NaN 600\n"
                               "10000 NaN NaN NaN NaN\n"
                               "EOD\n"));
        CHECK(contains(script, "# Medians in ns of 3 interleaved rounds, 2026-01-02 03:04 UTC.\n"));
        // Inside '...' a quote is written twice.
        CHECK(contains(script, "set multiplot layout 1,2 title 'Test''s CPU, 4 cores; g++ 99.1.0 "
                               "-DX=''1''; 2026-01-02 03:04 UTC' font ',11' noenhanced\n"));
        // From the decade below the smallest median to two decades above the largest:
        // get 0.5 .. 1234 gives 0.1 .. 1e5; set+reset 20 .. 600 gives 10 .. 1e4.
        CHECK(contains(script, "set yrange [0.1:100000]\nset title 'get: read one variable'\n"));
        CHECK(contains(script, "set yrange [10:10000]\nset title 'set + reset of one variable'\n"));
        CHECK(contains(script, "plot $get using 1:2 "));
        CHECK(contains(script, "$set_reset using 1:5 "));
        CHECK(contains(script, "set output 'get_set.svg'\n"));
        CHECK(script.ends_with("unset multiplot\n"));

        const int gnuplot = std::system("command -v gnuplot > /dev/null 2>&1");
        if (gnuplot != 0) {
            MESSAGE("gnuplot not installed: the script was not drawn");
            return;
        }
        const std::string command = "cd '" + (dir / "plots") +
                                    "' && gnuplot plot.gp > gnuplot.log 2>&1 || { cat gnuplot.log "
                                    ">&2; exit 1; }";
        CHECK(std::system(command.c_str()) == 0);
        const std::string svg_path = dir / "plots/get_set.svg";
        REQUIRE(fs::is_regular_file(svg_path));
        const std::string svg = read_file(svg_path);
        CHECK(contains(svg, "<svg"));
        CHECK(contains(svg, "</svg>"));
    }

    TEST_CASE("write_plot_script: no figures, every cell NaN and no y range") {
        const TempDir dir;
        const std::string path = dir / "plot.gp";
        ctxvar::bench::write_plot_script(path, {}, test_run());
        const std::string script = read_file(path);
        CHECK(contains(script, "$get << EOD\n"
                               "1 NaN NaN NaN NaN\n"
                               "8 NaN NaN NaN NaN\n"
                               "64 NaN NaN NaN NaN\n"
                               "1000 NaN NaN NaN NaN\n"
                               "10000 NaN NaN NaN NaN\n"
                               "EOD\n"));
        CHECK_FALSE(contains(script, "set yrange"));
        CHECK_THROWS_AS(ctxvar::bench::write_plot_script(dir.path().string(), {}, test_run()),
                        std::runtime_error);
        CHECK_THROWS_AS(ctxvar::bench::write_plot_script(path + "/inside.gp", {}, test_run()),
                        std::runtime_error);
    }

    // A write that fails only when the buffer is flushed (a full disk; here /dev/full): the
    // script is about 2 KB, so nothing leaves the buffer before the file is closed.
    TEST_CASE("write_plot_script: a write that fails when the file is closed is reported") {
        if (!fs::exists("/dev/full")) {
            MESSAGE("/dev/full not found: a failed write not checked");
            return;
        }
        CHECK_THROWS_AS(ctxvar::bench::write_plot_script("/dev/full", {}, test_run()),
                        std::runtime_error);
    }

    // A bare file name ("latest.json", in the current directory) has an empty parent_path(),
    // and std::filesystem::create_directories("") throws: the writers create a parent only when
    // there is one.
    TEST_CASE("write_results_json, write_plot_script: a bare file name in the current directory") {
        const TempDir dir;
        {
            // In the temporary directory for the two writes, back where it was whatever happens.
            struct InDirectory {
                fs::path before = fs::current_path();
                explicit InDirectory(const fs::path& to) { fs::current_path(to); }
                InDirectory(const InDirectory&) = delete;
                InDirectory& operator=(const InDirectory&) = delete;
                ~InDirectory() { fs::current_path(before); }
            } in_dir(dir.path());
            CHECK_NOTHROW(ctxvar::bench::write_results_json("latest.json", {}, {}, test_run()));
            CHECK_NOTHROW(ctxvar::bench::write_plot_script("plot.gp", {}, test_run()));
        }
        CHECK(fs::is_regular_file(dir / "latest.json"));
        CHECK(fs::is_regular_file(dir / "plot.gp"));
    }

    // --- the Python side -------------------------------------------------------------------------

    TEST_CASE("PythonBaseline: info, skip, time and value records over two rounds") {
        const TempDir dir;
        // The seed doubles as a figure, so that each round's value is its own.
        const ShellScript script(dir, "echo \"info args $*\"\n" +
                                          print_line("info python 3.11.2 (main, Mar 13 2023)") +
                                          print_line("info greenlet 2.0.2") +
                                          print_line("skip werkzeug No module named 'werkzeug'") +
                                          "echo \"time cpython/get/8 $4\"\n" +
                                          print_line("value cpython/memory/8 bytes_per_var 120") +
                                          print_line("time cpython/get/64  41.5"));
        PythonBaseline python("/bin/sh", script.path, 0.25, keep_all());
        CHECK_FALSE(python.should_exist("cpython/get/8")); // before any round
        CHECK_FALSE(python.failed());

        Samples samples;
        samples["get/ctxvar/8"].times_ns = {2}; // the C++ side's figures stay as they are
        python.run_round(samples, 7);
        CHECK_FALSE(python.failed());
        CHECK(python.info().at("args") == "--min-time 0.25 --seed 7");
        python.run_round(samples, 9);
        CHECK_FALSE(python.failed());
        CHECK(count_lines(script.runs) == 2);

        const std::map<std::string, std::string> info{
            {"args", "--min-time 0.25 --seed 9"},
            {"python", "3.11.2 (main, Mar 13 2023)"},
            {"greenlet", "2.0.2"},
        };
        CHECK(python.info() == info);
        CHECK(python.skipped() == std::set<std::string>{"werkzeug"});
        // Skipped in both rounds, said once.
        CHECK(python.notes() ==
              std::vector<std::string>{"CPython rows of werkzeug skipped: No module named "
                                       "'werkzeug'"});

        REQUIRE(samples.size() == 4);
        CHECK(samples.at("get/ctxvar/8").times_ns == std::vector<double>{2});
        CHECK(samples.at("cpython/get/8").times_ns == std::vector<double>{7, 9});
        CHECK(samples.at("cpython/get/8").counters.empty());
        CHECK(samples.at("cpython/get/64").times_ns == std::vector<double>{41.5, 41.5});
        CHECK(samples.at("cpython/memory/8").times_ns.empty());
        CHECK(samples.at("cpython/memory/8").counters ==
              std::map<std::string, std::vector<double>>{{"bytes_per_var", {120, 120}}});

        CHECK(python.should_exist("cpython/get/8"));
        CHECK(python.should_exist("cpython/greenlet/switch"));
        CHECK(python.should_exist("cpython/memory/8"));
        CHECK_FALSE(python.should_exist("cpython/werkzeug/top"));
        CHECK_FALSE(python.should_exist("cpython/werkzeug/get_by_name/8"));
    }

    TEST_CASE("PythonBaseline: a skipped module's rows should not exist, the others should") {
        const TempDir dir;
        const ShellScript script(dir, print_line("skip greenlet No module named 'greenlet'") +
                                          print_line("time cpython/get/8 40"));
        PythonBaseline python("/bin/sh", script.path, 0.25, keep_all());
        Samples samples;
        python.run_round(samples, 1);
        CHECK_FALSE(python.failed());
        CHECK(python.skipped() == std::set<std::string>{"greenlet"});
        CHECK_FALSE(python.should_exist("cpython/greenlet/switch"));
        CHECK_FALSE(python.should_exist("cpython/greenlet/memory/idle"));
        CHECK(python.should_exist("cpython/get/8"));
        CHECK(python.should_exist("cpython/werkzeug/top"));
    }

    TEST_CASE("PythonBaseline: Keep decides which rows reach the samples") {
        const TempDir dir;
        const ShellScript script(
            dir, print_line("info python 3.11.2") + print_line("skip werkzeug gone") +
                     print_line("time cpython/get/8 40") + print_line("time cpython/get/64 41") +
                     print_line("value cpython/memory/8 bytes_per_var 120") +
                     print_line("value cpython/memory/64 bytes_per_var 9"));
        std::vector<std::string> asked;
        PythonBaseline python("/bin/sh", script.path, 0.25, [&](const std::string& name) {
            asked.push_back(name);
            return !name.ends_with("/64");
        });
        Samples samples;
        python.run_round(samples, 1);
        CHECK_FALSE(python.failed());
        // Only the figures are offered to Keep, not the info and skip records.
        CHECK(asked == std::vector<std::string>{"cpython/get/8", "cpython/get/64",
                                                "cpython/memory/8", "cpython/memory/64"});
        REQUIRE(samples.size() == 2);
        CHECK(samples.at("cpython/get/8").times_ns == std::vector<double>{40});
        CHECK(samples.at("cpython/memory/8").counters.at("bytes_per_var") ==
              std::vector<double>{120});
        CHECK(samples.count("cpython/get/64") == 0);
        CHECK(samples.count("cpython/memory/64") == 0);
        // A row filtered out is no failure, and info and skips are read all the same.
        CHECK(python.info().at("python") == "3.11.2");
        CHECK(python.skipped() == std::set<std::string>{"werkzeug"});
    }

    TEST_CASE("PythonBaseline: a line it cannot read fails the side, quoted in the note") {
        const std::vector<std::string> malformed{
            "bogus record",
            "time cpython/get/8",
            "time cpython/get/8 fast",
            "time get/ctxvar/8 3", // not a CPython figure
            "value cpython/memory/8 bytes_per_var",
            "info",
        };
        for (const std::string& line : malformed) {
            CAPTURE(line);
            const TempDir dir;
            const ShellScript script(dir, print_line("time cpython/get/1 30") + print_line(line));
            PythonBaseline python("/bin/sh", script.path, 0.25, keep_all());
            Samples samples;
            python.run_round(samples, 1);
            CHECK(python.failed());
            CHECK(python.notes() ==
                  std::vector<std::string>{
                      "CPython not measured: unexpected line from the script: \"" + line + "\""});
            CHECK_FALSE(python.should_exist("cpython/get/1"));
            CHECK_FALSE(python.should_exist("cpython/get/8"));

            // No round after a failure: the script does not run again.
            const Samples before = samples;
            python.run_round(samples, 2);
            CHECK(count_lines(script.runs) == 1);
            CHECK(samples.size() == before.size());
            CHECK(samples.at("cpython/get/1").times_ns == before.at("cpython/get/1").times_ns);
            CHECK(python.notes().size() == 1);
        }
    }

    TEST_CASE("PythonBaseline: a non-zero exit fails the side with the command and the status") {
        const TempDir dir;
        const ShellScript script(dir, print_line("info python 3.11.2") +
                                          print_line("time cpython/get/8 40") + "exit 3\n");
        PythonBaseline python("/bin/sh", script.path, 0.25, keep_all());
        Samples samples;
        python.run_round(samples, 5);
        CHECK(python.failed());
        CHECK(python.notes() ==
              std::vector<std::string>{"CPython not measured: '/bin/sh' '" + script.path +
                                       "' --min-time 0.25 --seed 5 exited "
                                       "with status 3"});
        CHECK_FALSE(python.should_exist("cpython/get/8"));
        python.run_round(samples, 6);
        CHECK(count_lines(script.runs) == 1);
        CHECK(python.notes().size() == 1);
    }

    TEST_CASE("PythonBaseline: a script or an interpreter that does not exist fails the side") {
        const TempDir dir;
        {
            // /bin/sh itself runs, and exits non-zero: it cannot open the script. (It says so
            // on stderr, in the test's output.)
            PythonBaseline python("/bin/sh", dir / "no_such_script.py", 0.25, keep_all());
            Samples samples;
            python.run_round(samples, 1);
            CHECK(python.failed());
            REQUIRE(python.notes().size() == 1);
            const std::string& note = python.notes().front();
            CAPTURE(note);
            CHECK(note.starts_with("CPython not measured: '/bin/sh' '" +
                                   (dir / "no_such_script.py") + "' --min-time 0.25 --seed 1 "));
            CHECK(contains(note, " exited with status "));
            CHECK_FALSE(note.ends_with(" status 0"));
            CHECK(samples.empty());
            CHECK_FALSE(python.should_exist("cpython/get/8"));
        }
        {
            // The shell popen starts cannot find the interpreter: status 127 (POSIX).
            const ShellScript script(dir, print_line("time cpython/get/8 40"));
            const std::string missing = dir / "no_such_python3";
            PythonBaseline python(missing, script.path, 0.25, keep_all());
            Samples samples;
            python.run_round(samples, 1);
            CHECK(python.failed());
            CHECK(python.notes() == std::vector<std::string>{
                                        "CPython not measured: '" + missing + "' '" + script.path +
                                        "' --min-time 0.25 --seed 1 exited with status 127"});
            CHECK(samples.empty());
            CHECK(count_lines(script.runs) == 0);
            CHECK_FALSE(python.should_exist("cpython/get/8"));
        }
    }

    TEST_CASE("PythonBaseline: a last line without a newline and lines longer than a buffer") {
        const TempDir dir;
        const std::string long_value(1500, 'v');
        const ShellScript script(dir, print_line("info long " + long_value) +
                                          "printf '%s' 'time cpython/get/8 5'\n");
        PythonBaseline python("/bin/sh", script.path, 0.25, keep_all());
        Samples samples;
        python.run_round(samples, 1);
        CHECK_FALSE(python.failed());
        CHECK(python.notes().empty());
        CHECK(python.info().at("long") == long_value);
        REQUIRE(samples.count("cpython/get/8") == 1);
        CHECK(samples.at("cpython/get/8").times_ns == std::vector<double>{5});
    }

    TEST_CASE("PythonBaseline: paths are quoted for the shell") {
        const TempDir dir;
        const ShellScript script(dir, print_line("time cpython/get/8 40"), "it's a script.sh");
        PythonBaseline python("/bin/sh", script.path, 0.25, keep_all());
        Samples samples;
        python.run_round(samples, 1);
        CHECK_FALSE(python.failed());
        CHECK(python.notes().empty());
        CHECK(samples.at("cpython/get/8").times_ns == std::vector<double>{40});
    }
}
