// Helpers shared by the locals' tests.
#pragma once

#include <ctxvar/local_proxy.hpp>

#include <sstream>
#include <string>

namespace locals_test {

// What `out << proxy` prints (Python's repr(proxy)).
template <class T>
std::string printed(const ctxvar::LocalProxy<T>& proxy) {
    std::ostringstream out;
    out << proxy;
    return out.str();
}

} // namespace locals_test
