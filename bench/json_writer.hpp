// A small streaming JSON writer for latest.json: objects, arrays, strings and numbers, with
// commas and indentation handled, so the writer of the file only says what goes in it.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ctxvar::bench {

class JsonWriter {
  public:
    explicit JsonWriter(std::ostream& out) : out_(out) {}

    // Inside an object, key() comes before every value, object or array.
    JsonWriter& key(std::string_view name);
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    // A non-finite number has no JSON form: it is written as null.
    JsonWriter& value(double number);
    JsonWriter& value(bool flag);
    JsonWriter& null();

    // An array of numbers on one line.
    JsonWriter& values(const std::vector<double>& numbers);

  private:
    void before_value();
    void write_string(std::string_view text);
    void close(char bracket);

    std::ostream& out_;
    // Per open object or array: whether it has an element yet.
    std::vector<bool> open_;
    bool after_key_ = false;
};

} // namespace ctxvar::bench
