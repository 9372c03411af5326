// The console reporter ctxvar_bench runs every round with: it keeps each round's time and
// counters for the report, and, once all rounds are done, shows one row per benchmark, its
// median with the range of its rounds, in registration order.
#pragma once

#include "samples.hpp"

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

namespace ctxvar::bench {

class MedianReporter : public benchmark::ConsoleReporter {
  public:
    using ConsoleReporter::ConsoleReporter;

    // Benchmark calls these once per round (each RunSpecifiedBenchmarks). The machine's
    // description is shown once; each round's runs are kept, not shown.
    bool ReportContext(const Context& context) override;
    void ReportRuns(const std::vector<Run>& reports) override;
    void Finalize() override {}

    // Shows every benchmark's median row, then flushes. Call once, after the last round.
    void print_medians();

    // Whether the benchmark ran (and so was selected), successfully or not.
    bool ran(const std::string& name) const { return runs_.contains(name); }
    // Per benchmark that failed in some round: "failed in 2 of 5 rounds: <its error>".
    std::map<std::string, std::string> failures() const;

    // Every successful repetition of every round so far, keyed by the benchmark's name
    // without "/iterations:N" ("memory/ctxvar/8", not "memory/ctxvar/8/iterations:1").
    const Samples& samples() const { return samples_; }

  private:
    bool context_shown_ = false;
    Samples samples_;
    // Per benchmark name, every round's runs (a failed one included, to show its error).
    std::map<std::string, std::vector<Run>> runs_;
};

} // namespace ctxvar::bench
