// Tests of the pieces the benchmark report is built from (bench/): medians and spreads, figure
// references, the number formats, the JSON writer, the text tables, the bars and the judged
// comparisons. The expected texts are worked out by hand from the formats' rules (three
// significant digits, one decimal of spread below 10%, widths in characters), not copied from
// what the code prints.
#include "../../bench/formats.hpp"
#include "../../bench/json_writer.hpp"
#include "../../bench/ratios.hpp"
#include "../../bench/samples.hpp"
#include "../../bench/text_table.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <numbers>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using ctxvar::bench::Bar;
using ctxvar::bench::FigureRef;
using ctxvar::bench::JsonWriter;
using ctxvar::bench::Samples;
using ctxvar::bench::Summary;
using ctxvar::bench::TableRow;
using ctxvar::bench::Verdict;

namespace {

// The registry of judged comparisons is global, and judge() has no undo: every test registers
// its comparisons once per process (a static initialized by a lambda) under labels of its own,
// "test/<case>/...", and reads back only the verdicts and problems carrying that prefix.
std::vector<Verdict> verdicts_labelled(const std::vector<Verdict>& all, std::string_view prefix) {
    std::vector<Verdict> mine;
    for (const Verdict& v : all) {
        if (v.label.starts_with(prefix)) {
            mine.push_back(v);
        }
    }
    return mine;
}

// A problem line starts with the comparison's label in quotes.
std::vector<std::string> problems_labelled(const std::vector<std::string>& all,
                                           std::string_view prefix) {
    std::vector<std::string> mine;
    for (const std::string& p : all) {
        if (p.starts_with("\"" + std::string(prefix))) {
            mine.push_back(p);
        }
    }
    return mine;
}

const Verdict* find_verdict(const std::vector<Verdict>& verdicts, std::string_view label) {
    for (const Verdict& v : verdicts) {
        if (v.label == label) {
            return &v;
        }
    }
    return nullptr;
}

std::string not_judged(std::string_view label, std::string_view name) {
    return "\"" + std::string(label) + "\" not judged: " + std::string(name) +
           " has no figure (a misspelled name in its judge(), or the benchmark failed)";
}

std::string table_text(const std::vector<TableRow>& rows) {
    std::ostringstream out;
    ctxvar::bench::print_table(out, rows);
    return out.str();
}

std::string json_number(double number) {
    std::ostringstream out;
    JsonWriter(out).value(number);
    return out.str();
}

Samples times(std::initializer_list<std::pair<const std::string, std::vector<double>>> entries) {
    Samples samples;
    for (const auto& [name, values] : entries) {
        samples[name].times_ns = values;
    }
    return samples;
}

} // namespace

TEST_SUITE("bench_report") {
    // --- samples: medians, spreads, references ---------------------------------------------

    TEST_CASE("summarize: an odd count gives the middle of the sorted values and the extremes") {
        const Summary s = ctxvar::bench::summarize({50, 10, 40, 20, 30});
        CHECK(s.median == 30);
        CHECK(s.min == 10);
        CHECK(s.max == 50);
    }

    TEST_CASE("summarize: an even count gives the mean of the middle two sorted values") {
        // Sorted: 10 15 25 30. The middle two are 15 and 25, neither of which is the median.
        const Summary s = ctxvar::bench::summarize({30, 15, 10, 25});
        CHECK(s.median == 20);
        CHECK(s.min == 10);
        CHECK(s.max == 30);
        CHECK(ctxvar::bench::summarize({7, 2}).median == 4.5);
    }

    TEST_CASE("summarize: a single value is the median, the minimum and the maximum") {
        const Summary s = ctxvar::bench::summarize({41.3});
        CHECK(s.median == 41.3);
        CHECK(s.min == 41.3);
        CHECK(s.max == 41.3);
        CHECK(s.spread() == 0);
    }

    TEST_CASE("spread is half the range as a fraction of the median's magnitude; 0 at median 0") {
        CHECK(ctxvar::bench::summarize({90, 100, 110}).spread() == doctest::Approx(0.1));
        // Half the range over the median, not the range over the mean or over the minimum.
        CHECK(Summary{40, 30, 50}.spread() == doctest::Approx(0.25));
        CHECK(Summary{-100, -110, -90}.spread() == doctest::Approx(0.1));
        CHECK(Summary{0, -1, 1}.spread() == 0);
    }

    TEST_CASE("FigureRef::parse: a plain name is a time, a name:counter reference a counter") {
        const FigureRef time = FigureRef::parse("get/ctxvar/8");
        CHECK(time.benchmark == "get/ctxvar/8");
        CHECK(time.counter.empty());
        CHECK(time.is_time());

        const FigureRef counter = FigureRef::parse("memory/ctxvar/8:bytes_per_var");
        CHECK(counter.benchmark == "memory/ctxvar/8");
        CHECK(counter.counter == "bytes_per_var");
        CHECK_FALSE(counter.is_time());
    }

    TEST_CASE("find_values: the times or the named counter; nullptr when absent or empty") {
        Samples samples;
        samples["a"].times_ns = {3, 1, 2};
        samples["a"].counters["bytes"] = {300, 100};
        samples["a"].counters["empty"] = {};
        samples["counters_only"].counters["c"] = {5};

        using ctxvar::bench::find_values;
        CHECK(find_values(samples, FigureRef::parse("a")) == &samples.at("a").times_ns);
        CHECK(find_values(samples, FigureRef::parse("a:bytes")) ==
              &samples.at("a").counters.at("bytes"));
        CHECK(find_values(samples, FigureRef::parse("a:missing")) == nullptr);
        CHECK(find_values(samples, FigureRef::parse("a:empty")) == nullptr);
        CHECK(find_values(samples, FigureRef::parse("counters_only")) == nullptr);
        CHECK(find_values(samples, FigureRef::parse("counters_only:c")) ==
              &samples.at("counters_only").counters.at("c"));
        CHECK(find_values(samples, FigureRef::parse("absent")) == nullptr);
        CHECK(find_values(samples, FigureRef::parse("absent:bytes")) == nullptr);
    }

    TEST_CASE("find_summary summarizes the referenced time or counter; nullopt without figures") {
        Samples samples;
        samples["a"].times_ns = {3, 1, 2};
        samples["a"].counters["bytes"] = {300, 100};

        const std::optional<Summary> time = ctxvar::bench::find_summary(samples, "a");
        REQUIRE(time);
        CHECK(time->median == 2);
        CHECK(time->min == 1);
        CHECK(time->max == 3);

        const std::optional<Summary> bytes = ctxvar::bench::find_summary(samples, "a:bytes");
        REQUIRE(bytes);
        CHECK(bytes->median == 200);
        CHECK(bytes->min == 100);
        CHECK(bytes->max == 300);

        CHECK_FALSE(ctxvar::bench::find_summary(samples, "absent"));
        CHECK_FALSE(ctxvar::bench::find_summary(samples, "a:absent"));
    }

    // --- number formats ----------------------------------------------------------------------

    TEST_CASE("format_number: three significant digits, fixed notation, whatever the magnitude") {
        using ctxvar::bench::format_number;
        CHECK(format_number(0.283) == "0.283");
        CHECK(format_number(2.71) == "2.71");
        CHECK(format_number(41.3) == "41.3");
        CHECK(format_number(1234) == "1234");
        CHECK(format_number(123456.7) == "123457");
        CHECK(format_number(1e20) == "100000000000000000000");
        CHECK(format_number(0.5) == "0.500");
        CHECK(format_number(0.05) == "0.050"); // below 1: always three decimals
        CHECK(format_number(0) == "0.000");
        CHECK(format_number(-2.71) == "-2.71");
        CHECK(format_number(-0.5) == "-0.500");
    }

    TEST_CASE("format_number: the decimals follow the rounded value at each power of ten") {
        using ctxvar::bench::format_number;
        CHECK(format_number(0.9994) == "0.999");
        CHECK(format_number(0.9996) == "1.00"); // not "1.000"
        CHECK(format_number(9.994) == "9.99");
        CHECK(format_number(9.996) == "10.0"); // not "10.00"
        CHECK(format_number(99.94) == "99.9");
        CHECK(format_number(99.96) == "100"); // not "100.0"
        CHECK(format_number(999.6) == "1000");
        CHECK(format_number(-9.996) == "-10.0");
        CHECK(format_number(-99.96) == "-100");
    }

    TEST_CASE("format_ns: ns, µs or ms, switching where the rounded number would reach 1000") {
        using ctxvar::bench::format_ns;
        CHECK(format_ns(0) == "0.000 ns");
        CHECK(format_ns(0.5) == "0.500 ns");
        CHECK(format_ns(41.3) == "41.3 ns");
        CHECK(format_ns(999.4) == "999 ns");
        CHECK(format_ns(999.6) == "1.00 µs");
        CHECK(format_ns(1000) == "1.00 µs");
        CHECK(format_ns(12345) == "12.3 µs");
        CHECK(format_ns(999.4e3) == "999 µs");
        CHECK(format_ns(999.6e3) == "1.00 ms");
        CHECK(format_ns(7.94e6) == "7.94 ms");
        CHECK(format_ns(5e9) == "5000 ms"); // no unit above ms
        CHECK(format_ns(-2500) == "-2.50 µs");
        CHECK(format_ns(-999.6) == "-1.00 µs");
    }

    TEST_CASE("format_spread: one decimal below 10%, none from where it would round to 10%") {
        using ctxvar::bench::format_spread;
        CHECK(format_spread(Summary{100, 97, 103}) == "±3.0%");
        CHECK(format_spread(Summary{100, 99.6, 100.4}) == "±0.4%");
        CHECK(format_spread(Summary{100, 90.12, 109.88}) == "±9.9%"); // 9.88%
        CHECK(format_spread(Summary{100, 90.06, 109.94}) == "±9.9%"); // 9.94%
        CHECK(format_spread(Summary{100, 90.04, 109.96}) == "±10%");  // 9.96%: not "±10.0%"
        CHECK(format_spread(Summary{40, 30, 50}) == "±25%");
        CHECK(format_spread(Summary{10, 0, 24.68}) == "±123%");
        CHECK(format_spread(Summary{41.3, 41.3, 41.3}) == "±0.0%");
        CHECK(format_spread(Summary{-100, -103, -97}) == "±3.0%");
        CHECK(format_spread(Summary{0, -1, 1}) == "±0.0%");
    }

    // --- JSON --------------------------------------------------------------------------------

    TEST_CASE("JsonWriter: commas, nesting and two-space indentation; keys in the order given") {
        std::ostringstream out;
        JsonWriter w(out);
        w.begin_object();
        w.key("name").value("ctxvar");
        w.key("rounds").value(5.0);
        w.key("ok").value(true);
        w.key("none").null();
        w.key("list").begin_array();
        w.value(1.0);
        w.begin_object();
        w.key("a").value(false);
        w.key("b").begin_array().end_array();
        w.end_object();
        w.begin_array().value(2.0).end_array();
        w.end_array();
        w.key("empty").begin_object().end_object();
        w.key("times").values({1.5, 2, 0.1});
        w.key("no_times").values({});
        w.end_object();

        CHECK(out.str() == "{\n"
                           "  \"name\": \"ctxvar\",\n"
                           "  \"rounds\": 5,\n"
                           "  \"ok\": true,\n"
                           "  \"none\": null,\n"
                           "  \"list\": [\n"
                           "    1,\n"
                           "    {\n"
                           "      \"a\": false,\n"
                           "      \"b\": []\n"
                           "    },\n"
                           "    [\n"
                           "      2\n"
                           "    ]\n"
                           "  ],\n"
                           "  \"empty\": {},\n"
                           "  \"times\": [1.5, 2, 0.1],\n"
                           "  \"no_times\": []\n"
                           "}\n");
    }

    TEST_CASE("JsonWriter: a top-level array of objects, closed with a newline") {
        std::ostringstream out;
        JsonWriter w(out);
        w.begin_array();
        w.begin_object().key("x").value(1.0).end_object();
        w.begin_object().key("y").value("z").end_object();
        w.end_array();
        CHECK(out.str() == "[\n"
                           "  {\n"
                           "    \"x\": 1\n"
                           "  },\n"
                           "  {\n"
                           "    \"y\": \"z\"\n"
                           "  }\n"
                           "]\n");
    }

    TEST_CASE("JsonWriter: quote, backslash, newline, tab and control characters are escaped") {
        std::ostringstream out;
        JsonWriter w(out);
        w.begin_object();
        // Every character the writer must escape, and a NUL inside the string_view.
        static constexpr char text[] = "q\"b\\s\nn\tt\x01"
                                       "c\x1f"
                                       "d\re\0f\x7f";
        w.key("k\"\\").value(std::string_view(text, sizeof text - 1));
        w.end_object();
        // \r and NUL have no short escape in this writer: \u00XX, four lowercase hex digits.
        // DEL (0x7f) is not a control character to JSON (RFC 8259: below 0x20) and stays.
        CHECK(out.str() ==
              "{\n"
              "  \"k\\\"\\\\\": \"q\\\"b\\\\s\\nn\\tt\\u0001c\\u001fd\\u000de\\u0000f\x7f\"\n"
              "}\n");
    }

    TEST_CASE("JsonWriter: UTF-8 passes through unescaped, in keys and values") {
        std::ostringstream out;
        JsonWriter w(out);
        w.begin_object();
        w.key("µs").value("±3% € 😀");
        w.end_object();
        CHECK(out.str() == "{\n  \"µs\": \"±3% € 😀\"\n}\n");
    }

    TEST_CASE("JsonWriter: numbers in the fewest of 15 to 17 digits that read back the same") {
        CHECK(json_number(0.1) == "0.1");
        CHECK(json_number(5) == "5");
        CHECK(json_number(-0.5) == "-0.5");
        CHECK(json_number(123456789) == "123456789");
        CHECK(json_number(1e300) == "1e+300");
        CHECK(json_number(1.0 / 3) == "0.3333333333333333");    // 16 digits suffice
        CHECK(json_number(0.1 + 0.2) == "0.30000000000000004"); // 17 needed

        // Whatever the digits, the text reads back as the very same double: among these the
        // largest double, the smallest normal and subnormal ones, and 2^53 + 1 (rounds to 2^53).
        const std::vector<double> numbers{
            0.1 + 0.2, 1.0 / 3, 2.0 / 3,  std::numbers::pi,  1e-300, 123.456, -1e-7,
            DBL_MAX,   DBL_MIN, 4.9e-324, 9007199254740993.0};
        for (const double number : numbers) {
            const std::string text = json_number(number);
            CAPTURE(text);
            CHECK(std::strtod(text.c_str(), nullptr) == number);
        }
    }

    TEST_CASE("JsonWriter: non-finite numbers are written as null, alone and in values()") {
        const double inf = std::numeric_limits<double>::infinity();
        const double nan = std::numeric_limits<double>::quiet_NaN();
        CHECK(json_number(inf) == "null");
        CHECK(json_number(-inf) == "null");
        CHECK(json_number(nan) == "null");

        std::ostringstream out;
        JsonWriter(out).values({nan, 1, inf, -inf});
        CHECK(out.str() == "[null, 1, null, null]");
    }

    // --- text tables -------------------------------------------------------------------------

    TEST_CASE("display_width counts UTF-8 code points, not bytes") {
        using ctxvar::bench::display_width;
        CHECK(display_width("") == 0);
        CHECK(display_width("abc") == 3);
        CHECK(display_width("±") == 1);
        CHECK(display_width("±3.0%") == 5);
        CHECK(display_width("1.00 µs") == 7);
        CHECK(display_width("€") == 1);
        CHECK(display_width("😀") == 1);
    }

    TEST_CASE("print_table: first column left, others right, two spaces, widths in characters") {
        // "±" and "µ" are two bytes each: counted in bytes, the columns would shift.
        CHECK(table_text({{"name", "time", "±"},
                          {"get/ctxvar/8", "41.3 ns", "±3.0%"},
                          {"x", "1.00 µs", "±0.4%"}}) == "name             time      ±\n"
                                                         "get/ctxvar/8  41.3 ns  ±3.0%\n"
                                                         "x             1.00 µs  ±0.4%\n");
    }

    TEST_CASE("print_table: a single '#' cell is a heading, printed bare and never widening") {
        CHECK(table_text({{"name", "time"},
                          {"#A section heading longer than every column"},
                          {"get", "41.3 ns"},
                          {"#"},
                          {"#x", "2"}}) == "name     time\n"
                                           "A section heading longer than every column\n"
                                           "get   41.3 ns\n"
                                           "\n"
                                           "#x          2\n");
    }

    TEST_CASE("print_table: a short row leaves its last cells blank; no trailing spaces") {
        const std::string text = table_text({{"name", "time", "±"},
                                             {"short row", "7"},
                                             {"only"},
                                             {"", "", "±1.0%"},
                                             {"x", "", ""}});
        CHECK(text == "name       time      ±\n"
                      "short row     7\n"
                      "only\n"
                      "                 ±1.0%\n"
                      "x\n");
        CHECK(text.find(" \n") == std::string::npos);
    }

    TEST_CASE("print_table: nothing for no rows") {
        CHECK(table_text({}).empty());
    }

    // --- bars --------------------------------------------------------------------------------

    TEST_CASE("Bar::passes: each kind compares the medians its own way, the bar itself passing") {
        const Bar times = Bar::at_most_times(2); // subject <= 2 * baseline
        CHECK(times.passes(20, 10));
        CHECK(times.passes(15, 10));
        CHECK_FALSE(times.passes(20.5, 10));
        CHECK_FALSE(times.passes(10, 4));

        const Bar faster = Bar::at_least_times_faster(10); // 10 * subject <= baseline
        CHECK(faster.passes(10, 100));
        CHECK(faster.passes(5, 100));
        CHECK_FALSE(faster.passes(10.5, 100));
        CHECK_FALSE(faster.passes(100, 10));

        const Bar ns = Bar::at_most_ns(50); // subject <= 50, whatever the baseline
        CHECK(ns.passes(50, 0));
        CHECK(ns.passes(49, 1e9));
        CHECK_FALSE(ns.passes(50.5, 0));
        CHECK_FALSE(ns.passes(51, 1e9));

        const Bar more = Bar::at_most_ns_more(2); // subject <= baseline + 2
        CHECK(more.passes(12, 10));
        CHECK(more.passes(9, 10));
        CHECK_FALSE(more.passes(12.5, 10));
        CHECK_FALSE(more.passes(10, 7));
    }

    TEST_CASE("Bar: kind and value as given; describe writes whole numbers without decimals") {
        CHECK(Bar::at_most_times(2).kind() == Bar::Kind::at_most_times);
        CHECK(Bar::at_least_times_faster(10).kind() == Bar::Kind::at_least_times_faster);
        CHECK(Bar::at_most_ns(50).kind() == Bar::Kind::at_most_ns);
        CHECK(Bar::at_most_ns_more(2).kind() == Bar::Kind::at_most_ns_more);
        CHECK(Bar::at_most_ns_more(2.5).value() == 2.5);

        CHECK(Bar::at_most_times(2).describe() == "<= 2x");
        CHECK(Bar::at_least_times_faster(10).describe() == ">= 10x faster");
        CHECK(Bar::at_most_ns(50).describe() == "<= 50 ns");
        CHECK(Bar::at_most_ns_more(2).describe() == "<= +2 ns");
        CHECK(Bar::at_most_times(1.5).describe() == "<= 1.50x");
        CHECK(Bar::at_most_ns(0.5).describe() == "<= 0.500 ns");
    }

    TEST_CASE("Bar: a value that is not positive is refused") {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        for (const double value : {0.0, -1.0, nan}) {
            CAPTURE(value);
            CHECK_THROWS_AS(Bar::at_most_times(value), std::invalid_argument);
            CHECK_THROWS_AS(Bar::at_least_times_faster(value), std::invalid_argument);
            CHECK_THROWS_AS(Bar::at_most_ns(value), std::invalid_argument);
            CHECK_THROWS_AS(Bar::at_most_ns_more(value), std::invalid_argument);
        }
    }

    TEST_CASE("judge: a relative bar needs two names, an absolute one one name; else it throws") {
        using ctxvar::bench::judge;
        CHECK_THROWS_AS(judge("test/refused/1", "s", "b", Bar::at_most_ns(5)),
                        std::invalid_argument);
        CHECK_THROWS_AS(judge("test/refused/2", "s", "", Bar::at_most_times(2)),
                        std::invalid_argument);
        CHECK_THROWS_AS(judge("test/refused/3", "", "b", Bar::at_most_times(2)),
                        std::invalid_argument);
        CHECK_THROWS_AS(judge("test/refused/4", "s", Bar::at_most_times(2)), std::invalid_argument);
        CHECK_THROWS_AS(judge("test/refused/5", "", Bar::at_most_ns(5)), std::invalid_argument);
        // Bars judge times: a counter reference is refused on either side.
        CHECK_THROWS_AS(judge("test/refused/6", "s:bytes", "b", Bar::at_most_times(2)),
                        std::invalid_argument);
        CHECK_THROWS_AS(judge("test/refused/7", "s", "b:bytes", Bar::at_most_times(2)),
                        std::invalid_argument);
        CHECK_THROWS_AS(judge("test/refused/8", "s:bytes", Bar::at_most_ns(5)),
                        std::invalid_argument);

        // None of them was registered: judged, with every name measured, none gives a verdict.
        std::vector<std::string> problems;
        const Samples samples = times({{"s", {1}}, {"b", {1}}});
        const auto verdicts = ctxvar::bench::judge_all(
            samples, [](const std::string&) { return true; }, problems);
        CHECK(verdicts_labelled(verdicts, "test/refused/").empty());
        CHECK(problems_labelled(problems, "test/refused/").empty());
    }

    // --- judged comparisons --------------------------------------------------------------------

    TEST_CASE("judge_all: at_most_times on the medians, ratio subject over baseline, '2.00x'") {
        static const bool registered = [] {
            ctxvar::bench::judge("test/times/holds", "test/times/subject", "test/times/baseline",
                                 Bar::at_most_times(2));
            ctxvar::bench::judge("test/times/misses", "test/times/subject", "test/times/baseline",
                                 Bar::at_most_times(1.5));
            return true;
        }();
        CHECK(registered);

        // Medians 40 and 20 (the baseline's an even count: sorted 10 15 25 30).
        const Samples samples = times(
            {{"test/times/subject", {50, 30, 40}}, {"test/times/baseline", {30, 15, 10, 25}}});
        std::vector<std::string> problems;
        const std::vector<Verdict> verdicts =
            verdicts_labelled(ctxvar::bench::judge_all(
                                  samples, [](const std::string&) { return true; }, problems),
                              "test/times/");
        CHECK(problems_labelled(problems, "test/times/").empty());
        REQUIRE(verdicts.size() == 2);

        const Verdict& holds = verdicts[0]; // in the order registered
        CHECK(holds.label == "test/times/holds");
        CHECK(holds.subject == "test/times/subject");
        CHECK(holds.baseline == "test/times/baseline");
        CHECK(holds.bar.kind() == Bar::Kind::at_most_times);
        CHECK(holds.subject_summary.median == 40);
        CHECK(holds.subject_summary.min == 30);
        CHECK(holds.subject_summary.max == 50);
        REQUIRE(holds.baseline_summary);
        CHECK(holds.baseline_summary->median == 20);
        CHECK(holds.baseline_summary->min == 10);
        CHECK(holds.baseline_summary->max == 30);
        CHECK(holds.ratio == 2);
        CHECK(holds.ratio_text == "2.00x");
        CHECK(holds.passes); // exactly at the bar

        const Verdict& misses = verdicts[1];
        CHECK(misses.label == "test/times/misses");
        CHECK(misses.ratio_text == "2.00x");
        CHECK_FALSE(misses.passes);
    }

    TEST_CASE("judge_all: at_least_times_faster shows baseline over subject, 'x faster'") {
        static const bool registered = [] {
            ctxvar::bench::judge("test/faster/holds", "test/faster/subject", "test/faster/baseline",
                                 Bar::at_least_times_faster(3));
            ctxvar::bench::judge("test/faster/exactly", "test/faster/subject",
                                 "test/faster/baseline", Bar::at_least_times_faster(4));
            ctxvar::bench::judge("test/faster/misses", "test/faster/subject",
                                 "test/faster/baseline", Bar::at_least_times_faster(5));
            return true;
        }();
        CHECK(registered);

        const Samples samples =
            times({{"test/faster/subject", {5, 6, 4}}, {"test/faster/baseline", {21, 19, 20}}});
        std::vector<std::string> problems;
        const std::vector<Verdict> verdicts =
            verdicts_labelled(ctxvar::bench::judge_all(
                                  samples, [](const std::string&) { return true; }, problems),
                              "test/faster/");
        REQUIRE(verdicts.size() == 3);
        for (const Verdict& v : verdicts) {
            CAPTURE(v.label);
            CHECK(v.ratio == 0.25); // still subject / baseline
            CHECK(v.ratio_text == "4.00x faster");
        }
        CHECK(verdicts[0].passes);
        CHECK(verdicts[1].passes);
        CHECK_FALSE(verdicts[2].passes);
    }

    TEST_CASE("judge_all: at_most_ns judges the subject alone; no baseline, ratio 0, text '-'") {
        static const bool registered = [] {
            ctxvar::bench::judge("test/absolute/holds", "test/absolute/fast", Bar::at_most_ns(50));
            ctxvar::bench::judge("test/absolute/misses", "test/absolute/slow", Bar::at_most_ns(50));
            return true;
        }();
        CHECK(registered);

        const Samples samples =
            times({{"test/absolute/fast", {45, 60, 50}}, {"test/absolute/slow", {51}}});
        std::vector<std::string> problems;
        const std::vector<Verdict> verdicts =
            verdicts_labelled(ctxvar::bench::judge_all(
                                  samples, [](const std::string&) { return true; }, problems),
                              "test/absolute/");
        CHECK(problems_labelled(problems, "test/absolute/").empty());
        REQUIRE(verdicts.size() == 2);

        CHECK(verdicts[0].label == "test/absolute/holds");
        CHECK(verdicts[0].subject == "test/absolute/fast");
        CHECK(verdicts[0].baseline.empty());
        CHECK_FALSE(verdicts[0].baseline_summary);
        CHECK(verdicts[0].subject_summary.median == 50);
        CHECK(verdicts[0].ratio == 0);
        CHECK(verdicts[0].ratio_text == "-");
        CHECK(verdicts[0].passes);

        CHECK(verdicts[1].label == "test/absolute/misses");
        CHECK(verdicts[1].ratio_text == "-");
        CHECK_FALSE(verdicts[1].passes);
    }

    TEST_CASE("judge_all: at_most_ns_more shows the signed difference and the ratio") {
        static const bool registered = [] {
            ctxvar::bench::judge("test/more/holds", "test/more/slower", "test/more/baseline",
                                 Bar::at_most_ns_more(8));
            ctxvar::bench::judge("test/more/misses", "test/more/slower", "test/more/baseline",
                                 Bar::at_most_ns_more(7));
            ctxvar::bench::judge("test/more/faster", "test/more/faster", "test/more/baseline",
                                 Bar::at_most_ns_more(1));
            return true;
        }();
        CHECK(registered);

        const Samples samples = times({{"test/more/slower", {17.5}},
                                       {"test/more/faster", {8}},
                                       {"test/more/baseline", {10}}});
        std::vector<std::string> problems;
        const std::vector<Verdict> verdicts =
            verdicts_labelled(ctxvar::bench::judge_all(
                                  samples, [](const std::string&) { return true; }, problems),
                              "test/more/");
        REQUIRE(verdicts.size() == 3);

        const Verdict* holds = find_verdict(verdicts, "test/more/holds");
        REQUIRE(holds);
        CHECK(holds->ratio == 1.75);
        CHECK(holds->ratio_text == "+7.50 ns (1.75x)");
        CHECK(holds->passes); // 17.5 <= 10 + 8

        const Verdict* misses = find_verdict(verdicts, "test/more/misses");
        REQUIRE(misses);
        CHECK(misses->ratio_text == "+7.50 ns (1.75x)");
        CHECK_FALSE(misses->passes); // 17.5 > 10 + 7

        const Verdict* faster = find_verdict(verdicts, "test/more/faster");
        REQUIRE(faster);
        CHECK(faster->ratio == 0.8);
        CHECK(faster->ratio_text == "-2.00 ns (0.800x)");
        CHECK(faster->passes);
    }

    TEST_CASE("judge_all judges times, not the counters a benchmark also reports") {
        static const bool registered = [] {
            ctxvar::bench::judge("test/timed/ratio", "test/timed/subject", "test/timed/baseline",
                                 Bar::at_most_times(2));
            return true;
        }();
        CHECK(registered);

        Samples samples = times({{"test/timed/subject", {30}}, {"test/timed/baseline", {10}}});
        samples["test/timed/subject"].counters["bytes"] = {10};
        samples["test/timed/baseline"].counters["bytes"] = {10};
        std::vector<std::string> problems;
        const std::vector<Verdict> verdicts =
            verdicts_labelled(ctxvar::bench::judge_all(
                                  samples, [](const std::string&) { return true; }, problems),
                              "test/timed/");
        REQUIRE(verdicts.size() == 1);
        CHECK(verdicts[0].ratio == 3);
        CHECK(verdicts[0].ratio_text == "3.00x");
        CHECK_FALSE(verdicts[0].passes);
    }

    TEST_CASE("judge_all: a missing figure leaves the comparison out; a problem if expected") {
        static const bool registered = [] {
            using ctxvar::bench::judge;
            judge("test/missing/baseline", "test/missing/present", "test/missing/absent",
                  Bar::at_most_times(2));
            judge("test/missing/subject", "test/missing/absent", "test/missing/present",
                  Bar::at_most_times(2));
            judge("test/missing/both", "test/missing/absent", "test/missing/absent2",
                  Bar::at_most_ns_more(2));
            judge("test/missing/untimed", "test/missing/counters_only", "test/missing/present",
                  Bar::at_least_times_faster(2));
            judge("test/missing/skipped", "test/missing/present", "test/missing/not_run",
                  Bar::at_most_times(2));
            judge("test/missing/absolute", "test/missing/absent", Bar::at_most_ns(5));
            return true;
        }();
        CHECK(registered);

        Samples samples = times({{"test/missing/present", {10}}});
        samples["test/missing/counters_only"].counters["bytes"] = {64};

        {
            // Every name is expected but test/missing/not_run (filtered out, say).
            std::vector<std::string> asked;
            std::vector<std::string> problems{"an earlier problem"};
            const std::vector<Verdict> verdicts =
                verdicts_labelled(ctxvar::bench::judge_all(
                                      samples,
                                      [&](const std::string& name) {
                                          asked.push_back(name);
                                          return name != "test/missing/not_run";
                                      },
                                      problems),
                                  "test/missing/");
            CHECK(verdicts.empty());
            CHECK(problems.front() == "an earlier problem"); // appended to, not replaced
            const std::vector<std::string> expected{
                not_judged("test/missing/baseline", "test/missing/absent"),
                not_judged("test/missing/subject", "test/missing/absent"),
                not_judged("test/missing/both", "test/missing/absent"),
                not_judged("test/missing/both", "test/missing/absent2"),
                not_judged("test/missing/untimed", "test/missing/counters_only"),
                not_judged("test/missing/absolute", "test/missing/absent"),
            };
            CHECK(problems_labelled(problems, "test/missing/") == expected);
            for (const std::string& name : asked) {
                CHECK_FALSE(name.empty()); // never asked about an absolute bar's baseline
            }
        }
        {
            // Nothing expected: the same comparisons are left out silently.
            std::vector<std::string> problems;
            const std::vector<Verdict> verdicts =
                verdicts_labelled(ctxvar::bench::judge_all(
                                      samples, [](const std::string&) { return false; }, problems),
                                  "test/missing/");
            CHECK(verdicts.empty());
            CHECK(problems_labelled(problems, "test/missing/").empty());
        }
    }

    TEST_CASE("judged_benchmarks lists every registered subject and baseline, no empty names") {
        static const bool registered = [] {
            ctxvar::bench::judge("test/names/relative", "test/names/subject", "test/names/baseline",
                                 Bar::at_most_times(2));
            ctxvar::bench::judge("test/names/absolute", "test/names/alone", Bar::at_most_ns(5));
            return true;
        }();
        CHECK(registered);

        const std::vector<std::string> names = ctxvar::bench::judged_benchmarks();
        const auto count = [&](std::string_view name) {
            return std::count(names.begin(), names.end(), name);
        };
        CHECK(count("test/names/subject") == 1);
        CHECK(count("test/names/baseline") == 1);
        CHECK(count("test/names/alone") == 1);
        CHECK(count("") == 0);
    }

    // --- the verdicts table ------------------------------------------------------------------

    TEST_CASE("print_verdicts: nothing for no verdicts") {
        std::ostringstream out;
        ctxvar::bench::print_verdicts(out, {});
        CHECK(out.str().empty());
    }

    TEST_CASE("print_verdicts: the aligned table, the count of bars held and the misses") {
        const std::vector<Verdict> verdicts{
            {"test/pv/a", "s", "b", Bar::at_most_times(2), Summary{40, 30, 50}, Summary{20, 10, 30},
             2, "2.00x", true},
            {"test/pv/b", "s2", "", Bar::at_most_ns(50), Summary{60, 59, 61}, std::nullopt, 0, "-",
             false},
        };
        std::ostringstream out;
        ctxvar::bench::print_verdicts(out, verdicts);
        // Spreads: 10/40 = 25%, 10/20 = 50%, 1/60 = 1.67%.
        CHECK(out.str() ==
              "bar of the issues        subject      baseline  ratio       bar  verdict\n"
              "test/pv/a           40.0 ns ±25%  20.0 ns ±50%  2.00x     <= 2x     PASS\n"
              "test/pv/b          60.0 ns ±1.7%             -      -  <= 50 ns     MISS\n"
              "1 of 2 bars hold; missed:\n"
              "  - test/pv/b: - against <= 50 ns\n");
    }

    TEST_CASE("print_verdicts: every bar held ends the count without a list of misses") {
        const std::vector<Verdict> verdicts{
            {"test/pv/c", "s", "b", Bar::at_least_times_faster(4), Summary{5, 5, 5},
             Summary{20, 20, 20}, 0.25, "4.00x faster", true},
        };
        std::ostringstream out;
        ctxvar::bench::print_verdicts(out, verdicts);
        CHECK(
            out.str() ==
            "bar of the issues        subject       baseline         ratio           bar  verdict\n"
            "test/pv/c          5.00 ns ±0.0%  20.0 ns ±0.0%  4.00x faster  >= 4x faster     PASS\n"
            "1 of 1 bars hold\n");
    }
}
