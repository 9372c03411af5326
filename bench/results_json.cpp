// The layout of latest.json; times are ns per operation, counters as the benchmark reports.
#include "results_json.hpp"

#include "json_writer.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace ctxvar::bench {

namespace {

void write_summary(JsonWriter& json, const Summary& s) {
    json.key("median").value(s.median);
    json.key("min").value(s.min);
    json.key("max").value(s.max);
}

void write_description(JsonWriter& json, const RunDescription& run) {
    const Machine& m = run.machine;
    json.key("date").value(m.date);
    json.key("machine").begin_object();
    json.key("cpu").value(m.cpu);
    json.key("cores").value(static_cast<double>(m.cores));
    json.key("kernel").value(m.kernel);
    json.end_object();
    json.key("build").begin_object();
    json.key("compiler").value(m.compiler);
    json.key("flags").value(m.flags);
    json.key("boost").value(m.boost);
    json.end_object();
    json.key("python").begin_object();
    for (const auto& [key, value] : run.python) {
        json.key(key).value(value);
    }
    json.end_object();
    json.key("method").begin_object();
    json.key("rounds").value(static_cast<double>(run.rounds));
    json.key("min_time_s").value(run.min_time);
    json.key("seconds").value(run.seconds);
    json.key("statistic").value("median of the rounds; min and max over the rounds");
    json.key("interleaving")
        .value("each round runs every C++ benchmark once in a shuffled order, then every "
               "CPython row once in a shuffled order");
    json.end_object();
}

void write_table(JsonWriter& json, const Samples& samples) {
    json.key("table").begin_array();
    for (const TableRowData& d : collect_table(samples)) {
        json.begin_object();
        json.key("section").value(d.section->title);
        json.key("row").value(d.row->label);
        json.key("unit").value(d.section->in_bytes ? "bytes" : "ns");
        const Summary& ctxvar = *d.cells.front().summary;
        json.key("ctxvar").begin_object();
        json.key("figure").value(d.cells.front().figure);
        write_summary(json, ctxvar);
        json.end_object();
        json.key("baselines").begin_array();
        for (std::size_t c = 1; c < d.cells.size(); ++c) {
            if (!d.cells[c].summary) {
                continue;
            }
            json.begin_object();
            json.key("column").value(d.section->columns[c + 1]);
            json.key("figure").value(d.cells[c].figure);
            write_summary(json, *d.cells[c].summary);
            // null when either figure is 0 (a memory row that allocated nothing): no ratio
            const double baseline = d.cells[c].summary->median;
            if (baseline > 0 && ctxvar.median > 0) {
                json.key("baseline_over_ctxvar").value(baseline / ctxvar.median);
            } else {
                json.key("baseline_over_ctxvar").null();
            }
            json.end_object();
        }
        json.end_array();
        json.end_object();
    }
    json.end_array();
}

void write_verdicts(JsonWriter& json, const std::vector<Verdict>& verdicts) {
    json.key("bars").begin_array();
    for (const Verdict& v : verdicts) {
        json.begin_object();
        json.key("label").value(v.label);
        json.key("subject").value(v.subject);
        json.key("subject_median_ns").value(v.subject_summary.median);
        if (v.baseline_summary) {
            json.key("baseline").value(v.baseline);
            json.key("baseline_median_ns").value(v.baseline_summary->median);
            json.key("subject_over_baseline").value(v.ratio);
        }
        json.key("ratio").value(v.ratio_text);
        json.key("bar").value(v.bar.describe());
        json.key("verdict").value(v.passes ? "PASS" : "MISS");
        json.end_object();
    }
    json.end_array();
}

void write_benchmarks(JsonWriter& json, const Samples& samples) {
    json.key("benchmarks").begin_object();
    for (const auto& [name, m] : samples) {
        json.key(name).begin_object();
        if (!m.times_ns.empty()) {
            json.key("time_ns").begin_object();
            write_summary(json, summarize(m.times_ns));
            json.key("rounds").values(m.times_ns);
            json.end_object();
        }
        if (!m.counters.empty()) {
            json.key("counters").begin_object();
            for (const auto& [counter, values] : m.counters) {
                json.key(counter).begin_object();
                write_summary(json, summarize(values));
                json.key("rounds").values(values);
                json.end_object();
            }
            json.end_object();
        }
        json.end_object();
    }
    json.end_object();
}

} // namespace

void write_results_json(const std::string& path, const Samples& samples,
                        const std::vector<Verdict>& verdicts, const RunDescription& run) {
    // A bare file name has no directory to create.
    if (const auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) {
        std::filesystem::create_directories(dir);
    }
    std::ofstream file(path, std::ios::trunc);
    if (!file) {
        throw std::runtime_error("cannot write " + path);
    }
    JsonWriter json(file);
    json.begin_object();
    json.key("report").value("ctxvar benchmark report");
    write_description(json, run);
    write_table(json, samples);
    write_verdicts(json, verdicts);
    write_benchmarks(json, samples);
    json.key("notes").begin_array();
    for (const std::string& note : run.notes) {
        json.value(note);
    }
    json.end_array();
    json.end_object();
    file.close();
    if (!file) {
        throw std::runtime_error("cannot write " + path);
    }
}

} // namespace ctxvar::bench
