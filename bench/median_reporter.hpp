// The console reporter ctxvar_bench runs with: it keeps every repetition's time for the ratio
// table and shows one row per benchmark, its median with the range of its repetitions, in
// registration order.
#pragma once

#include "samples.hpp"

#include <benchmark/benchmark.h>

#include <vector>

namespace ctxvar::bench {

class MedianReporter : public benchmark::ConsoleReporter {
  public:
    using ConsoleReporter::ConsoleReporter;

    // Benchmark calls this once with a benchmark's repetitions, then once with their
    // aggregates (mean, median, stddev, cv) when there are two repetitions or more.
    void ReportRuns(const std::vector<Run>& reports) override;
    // Shows the rows kept back, in the order the benchmarks were registered: interleaved
    // repetitions finish in a random order, and most only near the end of the run anyway.
    void Finalize() override;

    // Every successful repetition reported so far.
    const Samples& samples() const { return samples_; }

  private:
    Samples samples_;
    std::vector<Run> shown_;
};

} // namespace ctxvar::bench
