// What the report says of the machine: read from the system at run time, and from the build
// (the compiler's own macros, Boost's version header, the flags Meson passed in).
#include "machine.hpp"

#include <boost/version.hpp>
#include <sched.h>
#include <sys/utsname.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>

#ifndef CTXVAR_BENCH_BUILD_FLAGS
#error "bench/meson.build defines CTXVAR_BENCH_BUILD_FLAGS, the flags the report states"
#endif

namespace ctxvar::bench {

namespace {

std::string cpu_model() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.starts_with("model name")) {
            const std::size_t value = line.find_first_not_of(" \t", line.find(':') + 1);
            if (line.find(':') != std::string::npos && value != std::string::npos) {
                return line.substr(value);
            }
        }
    }
    return "unknown";
}

std::string utc_now() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
    return text;
}

std::string kernel() {
    utsname name{};
    if (uname(&name) != 0) {
        return "unknown";
    }
    return std::string(name.sysname) + " " + name.release + " " + name.machine;
}

unsigned usable_cores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        return static_cast<unsigned>(CPU_COUNT(&set));
    }
    return std::thread::hardware_concurrency();
}

std::string compiler() {
#if defined(__clang__)
    return "clang++ " __clang_version__;
#elif defined(__GNUC__)
    return "g++ " __VERSION__;
#else
    return "unknown compiler";
#endif
}

} // namespace

Machine describe_machine() {
    return {utc_now(),
            cpu_model(),
            usable_cores(),
            kernel(),
            compiler(),
            CTXVAR_BENCH_BUILD_FLAGS,
            std::to_string(BOOST_VERSION / 100000) + "." +
                std::to_string(BOOST_VERSION / 100 % 1000)};
}

} // namespace ctxvar::bench
