#include "connection.hpp"

#include "app.hpp"
#include "stats.hpp"

#include <stdexcept>

namespace server {

namespace {
constexpr std::size_t read_size = 4096;
constexpr std::size_t max_kept_bytes = 64 * 1024;
} // namespace

Parsed Connection::next() {
    Parsed parsed = parse_request(std::string_view(buffer_).substr(begin_, end_ - begin_));
    begin_ += parsed.consumed;
    if (begin_ == end_) {
        begin_ = end_ = 0;
        if (buffer_.size() > max_kept_bytes) {
            std::string().swap(buffer_); // a large body's room goes back, not kept per connection
        }
    }
    return parsed;
}

std::span<char> Connection::read_space() {
    if (begin_ > 0 && buffer_.size() - end_ < read_size) {
        buffer_.erase(0, begin_); // move what is left of a request to the front
        end_ -= begin_;
        begin_ = 0;
    }
    if (buffer_.size() - end_ < read_size) {
        buffer_.resize(end_ + read_size);
    }
    return {buffer_.data() + end_, buffer_.size() - end_};
}

std::optional<Response> answer_first(Parsed& parsed) {
    if (parsed.kind == Parsed::bad) {
        return std::move(parsed.response);
    }
    return answer_without_view(parsed.request);
}

Response internal_error(const std::exception_ptr& error) {
    std::string why = "the view failed";
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        why += ": ";
        why += e.what();
    } catch (...) {
    }
    log("500, " + why);
    return Response::error(500, why, true);
}

void settle(Response& response, const Parsed& parsed) {
    if (parsed.kind == Parsed::complete) {
        response.close = response.close || !parsed.request.keep_alive;
        response.omit_body = parsed.request.method == "HEAD";
    }
    if (response.status >= 400) {
        ++Stats::bad_requests;
    } else if (parsed.request.path != "/stats") {
        ++Stats::requests;
    }
}

} // namespace server
