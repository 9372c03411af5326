// Which benchmark names the run's --benchmark_filter selects, so that the report can tell a
// figure that was filtered out (left out silently) from one that should exist (a note).
#pragma once

#include <string>

namespace ctxvar::bench {

// Read as Benchmark 1.7 reads its filter: an extended regular expression searched in the name,
// negated by a leading '-'; "" and "all" select everything. A filter that does not compile
// selects nothing (Benchmark stops on it anyway).
bool filter_selects(const std::string& name);

// Whether the filter is empty or "all": the run selects every benchmark.
bool filter_selects_everything();

} // namespace ctxvar::bench
