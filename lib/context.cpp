// Context objects: creation with a process-unique identity, destruction, comparison by contents,
// and the errors of the mapping view.
#include "context_pool.hpp"

#include <ctxvar/context.hpp>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace ctxvar::detail {

namespace {

// Identities come in per-thread blocks, so creating a context touches no shared cache line
// except once per block. 0 is never handed out (a moved-from token's context_id).
std::uint64_t next_context_id() noexcept {
    constexpr std::uint64_t block = 1024;
    static std::atomic<std::uint64_t> next_block{1};
    [[gnu::tls_model("initial-exec")]] constinit thread_local std::uint64_t next = 0, end = 0;
    if (next == end) [[unlikely]] {
        next = next_block.fetch_add(block, std::memory_order_relaxed);
        end = next + block;
    }
    return next++;
}

} // namespace

ContextData* create_context(Snapshot vars) {
    // The constructor cannot throw: only the allocation can, and then `vars` is dropped intact.
    return ::new (allocate_context_memory()) ContextData(std::move(vars), next_context_id());
}

void destroy_context(ContextData* context) noexcept {
    context->~ContextData(); // may run values' destructors, which may use the pool themselves
    free_context_memory(context);
}

const ValueBox* ContextData::find_and_cache(const VarData* var) const noexcept {
    const Entry* entry = vars_.find_entry(var);
    if (entry == nullptr) {
        return nullptr;
    }
    cache_[cache_index(var)].store(entry, std::memory_order_relaxed);
    cache_used_.store(true, std::memory_order_relaxed);
    return entry->second.get();
}

bool equal_contents(const Snapshot& a, const Snapshot& b) {
    return a.equal_to(b, [](const ValueRef& x, const ValueRef& y) {
        return x.get() == y.get() || x->ops->equal(*x, *y);
    });
}

void throw_moved_from_context() {
    throw std::logic_error("ctxvar::Context: use of a moved-from Context");
}

void throw_item_type(const VarData& var, const std::type_info& requested) {
    throw std::invalid_argument(var_repr(var) + " holds " + type_name(*var.type) + ", not " +
                                type_name(requested));
}

} // namespace ctxvar::detail
