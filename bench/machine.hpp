// The machine and build a run was measured on, as the report and latest.json state them.
#pragma once

#include <string>

namespace ctxvar::bench {

struct Machine {
    std::string date;     // UTC, "2026-11-22 10:41"
    std::string cpu;      // /proc/cpuinfo's model name
    unsigned cores;       // hardware threads the process may use
    std::string kernel;   // uname: "Linux 6.1.0-27-amd64"
    std::string compiler; // "g++ 12.2.0"
    std::string flags;    // the benchmark's build: "-O2 -DNDEBUG -std=c++20"
    std::string boost;    // "1.81"
};

// Reads the machine now; the compiler, flags and Boost are those this binary was built with.
Machine describe_machine();

} // namespace ctxvar::bench
