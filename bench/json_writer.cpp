// The JSON writer: RFC 8259 strings (control characters escaped, UTF-8 passed through) and
// numbers with up to 17 significant digits, so a double reads back as the same double.
#include "json_writer.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ctxvar::bench {

void JsonWriter::before_value() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!open_.empty()) {
        out_ << (open_.back() ? ",\n" : "\n") << std::string(2 * open_.size(), ' ');
        open_.back() = true;
    }
}

void JsonWriter::write_string(std::string_view text) {
    out_ << '"';
    for (const char c : text) {
        switch (c) {
        case '"':
            out_ << "\\\"";
            break;
        case '\\':
            out_ << "\\\\";
            break;
        case '\n':
            out_ << "\\n";
            break;
        case '\t':
            out_ << "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
                out_ << escaped;
            } else {
                out_ << c;
            }
        }
    }
    out_ << '"';
}

JsonWriter& JsonWriter::key(std::string_view name) {
    before_value();
    write_string(name);
    out_ << ": ";
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::begin_object() {
    before_value();
    out_ << '{';
    open_.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    before_value();
    out_ << '[';
    open_.push_back(false);
    return *this;
}

void JsonWriter::close(char bracket) {
    const bool had_elements = open_.back();
    open_.pop_back();
    if (had_elements) {
        out_ << '\n' << std::string(2 * open_.size(), ' ');
    }
    out_ << bracket;
    if (open_.empty()) {
        out_ << '\n';
    }
}

JsonWriter& JsonWriter::end_object() {
    close('}');
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    close(']');
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
    before_value();
    write_string(text);
    return *this;
}

namespace {

// The shortest of %.15g..%.17g that reads back as the same double: 0.1 stays "0.1".
std::string number_text(double number) {
    if (!std::isfinite(number)) {
        return "null";
    }
    char text[32];
    for (int digits = 15; digits <= 17; ++digits) {
        std::snprintf(text, sizeof text, "%.*g", digits, number);
        if (std::strtod(text, nullptr) == number) {
            break;
        }
    }
    return text;
}

} // namespace

JsonWriter& JsonWriter::value(double number) {
    before_value();
    out_ << number_text(number);
    return *this;
}

JsonWriter& JsonWriter::value(bool flag) {
    before_value();
    out_ << (flag ? "true" : "false");
    return *this;
}

JsonWriter& JsonWriter::null() {
    before_value();
    out_ << "null";
    return *this;
}

JsonWriter& JsonWriter::values(const std::vector<double>& numbers) {
    before_value();
    out_ << '[';
    for (std::size_t i = 0; i != numbers.size(); ++i) {
        out_ << (i == 0 ? "" : ", ") << number_text(numbers[i]);
    }
    out_ << ']';
    return *this;
}

} // namespace ctxvar::bench
