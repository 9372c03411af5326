// fibers_test::to_parent: greenlet's getcurrent().parent.switch(value), for the fibers tests.
#pragma once

#include <ctxvar/fibers/greenlet.hpp>

#include <any>
#include <memory>
#include <utility>

namespace fibers_test {

// Not `Greenlet::current()->parent()->switch_to(v)`: that temporary handle to the current
// greenlet would live through the switch, and a greenlet suspended while holding a handle to
// itself is never killed by dropping the others.
inline std::any to_parent(std::any value = {}) {
    std::shared_ptr<ctxvar::fibers::Greenlet> parent =
        ctxvar::fibers::Greenlet::current()->parent();
    return parent->switch_to(std::move(value));
}

} // namespace fibers_test
