// ctxvar::coro::detail::Chain: what the coroutines of one task share (the root and every Task
// awaited directly under it, which run in one context as a plain `await` does in Python).
#pragma once

#include <ctxvar/switch.hpp>

#include <cstdint>
#include <utility>

namespace ctxvar::coro::detail {

struct Chain {
    // While the task runs: the context of whoever resumed it last. While it is suspended (or
    // not started yet): the task's own. One switch_context call turns one state into the other.
    SavedContext saved;
    // How many times the task has suspended so far. A child Task started inline compares it at
    // its end to learn whether it completed without suspending (so its parent can go on without
    // a nested resume, in any build mode).
    std::uint64_t suspensions = 0;

    // Installs the task's context and keeps the resumer's, or the other way round. Compiled out
    // (Switching == false) only for the benchmark's side-by-side baseline.
    template <bool Switching>
    void hand_over() noexcept {
        if constexpr (Switching) {
            saved = switch_context(std::move(saved));
        }
    }
};

} // namespace ctxvar::coro::detail
