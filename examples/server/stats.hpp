// What the server counts, for GET /stats and its last line at exit. A server that is right ends
// with nothing open, nothing in flight and no request id alive in any context.
#pragma once

#include <atomic>
#include <string>

namespace server {

struct Stats {
    static inline std::atomic<long> connections_open{0};
    static inline std::atomic<long> requests_in_flight{0};
    static inline std::atomic<long> live_request_ids{0};
    static inline std::atomic<long> requests{0};     // served by the view
    static inline std::atomic<long> bad_requests{0}; // answered 4xx/5xx before any view

    // "key=value" lines, or one line with spaces between (at exit).
    static std::string text(char separator);
    // Whether the first three are 0.
    static bool clean();
};

// Adds one to *counter for as long as it lives: an open connection, a request in flight.
template <std::atomic<long>* counter>
class CountedWhileAlive {
  public:
    CountedWhileAlive() noexcept { ++*counter; }
    CountedWhileAlive(const CountedWhileAlive&) = delete;
    CountedWhileAlive& operator=(const CountedWhileAlive&) = delete;
    ~CountedWhileAlive() { --*counter; }
};
using OpenConnection = CountedWhileAlive<&Stats::connections_open>;
using InFlight = CountedWhileAlive<&Stats::requests_in_flight>;

} // namespace server
