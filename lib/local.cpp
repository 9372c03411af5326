// The locals' errors, and LocalManager's releases: what needs no template.
#include <ctxvar/detail/local_values.hpp>
#include <ctxvar/detail/var_data.hpp>
#include <ctxvar/errors.hpp>
#include <ctxvar/local_manager.hpp>
#include <ctxvar/local_proxy.hpp>

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>

namespace ctxvar {

namespace detail {

namespace {
std::string quoted(std::string_view name) {
    std::string result;
    result.reserve(name.size() + 2);
    result.append("'").append(name).append("'");
    return result;
}
} // namespace

void throw_missing_name(std::string_view name) {
    throw LookupError("no value named " + quoted(name) + " in this Local");
}

void throw_name_type(std::string_view name, const std::type_info& stored,
                     const std::type_info& requested) {
    throw std::invalid_argument(quoted(name) + " in this Local holds " + type_name(stored) +
                                ", not " + type_name(requested));
}

void throw_proxy_type(std::string_view name, const std::type_info& stored,
                      const std::type_info& proxied) {
    const std::string t = type_name(proxied);
    throw std::invalid_argument("a LocalProxy<" + t + "> cannot use " + quoted(name) +
                                " in this Local, which holds " + type_name(stored) + ": store " +
                                t + "*, std::shared_ptr<" + t +
                                ">, or (for a proxy of a const type) the value itself");
}

void throw_unbound(const ProxyState& state) {
    throw UnboundError(state.unbound_message);
}

} // namespace detail

void LocalManager::cleanup() const {
    if (std::exception_ptr failure = release_all()) {
        std::rethrow_exception(failure);
    }
}

std::exception_ptr LocalManager::release_all() const noexcept {
    std::exception_ptr first;
    for (const auto& release : releasers_) {
        try {
            release();
        } catch (...) {
            if (!first) {
                first = std::current_exception();
            }
        }
    }
    return first;
}

} // namespace ctxvar
