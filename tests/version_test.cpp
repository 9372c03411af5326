// Tests of <ctxvar/version.hpp>: the generated macros agree with each other and with the
// library that was linked.
#include <ctxvar/version.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>

TEST_SUITE("version") {
    TEST_CASE("the runtime library version matches the headers") {
        CHECK(std::string_view(ctxvar::version()) == CTXVAR_VERSION_STRING);

        const std::string from_parts = std::to_string(CTXVAR_VERSION_MAJOR) + "." +
                                       std::to_string(CTXVAR_VERSION_MINOR) + "." +
                                       std::to_string(CTXVAR_VERSION_PATCH);
        CHECK(from_parts == CTXVAR_VERSION_STRING);
    }
}
