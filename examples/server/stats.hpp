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

// Counts one open connection for as long as it lives.
class OpenConnection {
  public:
    OpenConnection() noexcept { ++Stats::connections_open; }
    OpenConnection(const OpenConnection&) = delete;
    OpenConnection& operator=(const OpenConnection&) = delete;
    ~OpenConnection() { --Stats::connections_open; }
};

} // namespace server
