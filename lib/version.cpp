// The runtime half of <ctxvar/version.hpp>: compiled into the library, so it reports the
// version the library was built as, whatever headers the caller was compiled against.
#include <ctxvar/version.hpp>

namespace ctxvar {

const char* version() noexcept {
    return CTXVAR_VERSION_STRING;
}

} // namespace ctxvar
