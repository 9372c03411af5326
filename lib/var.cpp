// Context variables' representations and the errors that name them.
#include <ctxvar/detail/token_state.hpp>
#include <ctxvar/detail/var_data.hpp>
#include <ctxvar/errors.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>

namespace ctxvar::detail {

std::string type_name(const std::type_info& type) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(
        abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), &std::free);
    return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

std::string var_repr(const VarData& var) {
    return "<ContextVar name='" + var.name + "'>";
}

void throw_lookup(const VarData& var) {
    throw LookupError(var_repr(var));
}

void throw_empty_shared_value(const VarData& var) {
    throw std::invalid_argument("cannot set " + var_repr(var) + " to an empty SharedValue");
}

} // namespace ctxvar::detail
