// ctxvar::switch_context and ctxvar::SavedContext: the one primitive every runtime (greenlets,
// Boost.Fiber, coroutine tasks, a third-party scheduler) calls when it switches flows.
#pragma once

#include <ctxvar/context.hpp>
#include <ctxvar/detail/context_data.hpp>

#include <optional>
#include <utility>

namespace ctxvar {

// A flow's current context while the flow is not running: what a runtime keeps per fiber, per
// greenlet or per task. It owns a reference to a context object, or holds none ("no context
// yet": the flow's first set or copy_context() will create one, as in CPython). Move-only,
// like the flow it belongs to.
class SavedContext {
  public:
    // No context yet: variables read their defaults until the flow sets one.
    SavedContext() noexcept = default;
    // The flow will run with `context` current, without entering it (several flows may share
    // one object this way, as greenlets do; run() is the exclusive way in).
    explicit SavedContext(Context context) noexcept
        : data_(std::exchange(context.data_, nullptr)) {}
    SavedContext(SavedContext&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}
    SavedContext& operator=(SavedContext other) noexcept {
        std::swap(data_, other.data_);
        return *this;
    }
    ~SavedContext() { detail::release(data_); }

    // A new flow's start in a copy of the current context: copy_context().
    static SavedContext copy_of_current() { return SavedContext(copy_context()); }

    bool has_value() const noexcept { return data_ != nullptr; }
    explicit operator bool() const noexcept { return has_value(); }

    // Whether the saved context object is entered: inside a Context::run of this flow or of
    // another flow that shares it. A runtime must not drop or replace such a context for a flow
    // that may be inside the run, or the run would exit with another context current.
    bool entered() const noexcept {
        return data_ != nullptr &&
               (data_->state.load(std::memory_order_relaxed) & detail::ContextData::entered_bit);
    }

    // A handle to the saved context object (the same object), or nullopt when there is none.
    std::optional<Context> context() const {
        if (data_ == nullptr) {
            return std::nullopt;
        }
        detail::retain(data_);
        return Context(data_);
    }

  private:
    friend SavedContext switch_context(SavedContext next) noexcept;
    detail::ContextData* data_ = nullptr;
};

// A context entered on behalf of a flow for the flow's whole life, outside any Context::run call
// frame: what "start a fiber (or task) in a given Context" takes, as Python's Task(context=) and
// Thread(context=) do. The entry is taken where it is constructed, so an already-entered context
// is refused there (ContextEnteredError, nothing changed), and no other flow can enter the object
// until the entry is destroyed. It does not install the context: the runtime runs the flow with
// saved() as its SavedContext and destroys the entry once the flow is done with the context.
// Move-only; a default-constructed or moved-from entry holds nothing.
class ContextEntry {
  public:
    ContextEntry() noexcept = default;
    explicit ContextEntry(const Context& context) : data_(&context.data()) {
        detail::mark_entered(data_);
    }
    ContextEntry(ContextEntry&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}
    ContextEntry& operator=(ContextEntry other) noexcept {
        std::swap(data_, other.data_);
        return *this;
    }
    ~ContextEntry() {
        if (data_ != nullptr) {
            detail::unmark_entered(data_);
        }
    }

    // A SavedContext for the flow: the entered object itself (one more reference).
    SavedContext saved() const {
        if (data_ == nullptr) {
            return SavedContext();
        }
        detail::retain(data_);
        return SavedContext(Context(data_));
    }

  private:
    detail::ContextData* data_ = nullptr;
};

// Makes `next` this thread's current context and returns the one that was current, for the flow
// being switched away from to keep. Call it on every switch, on the thread the switch happens
// on, just before control passes to the next flow (or just after it arrives): e.g.
//
//     fiber.saved = ctxvar::switch_context(std::move(next_fiber.saved));  // then jump
//
// A few loads and stores behind one call: it never allocates, never throws, never changes a
// reference count, and never copies a snapshot (only one pointer moves). The flow that gets
// control back must be given back what it handed over, so that a Context::run in progress in it
// finds its context current when it exits.
inline SavedContext switch_context(SavedContext next) noexcept {
    SavedContext previous;
    previous.data_ = detail::exchange_current(std::exchange(next.data_, nullptr));
    return previous;
}

} // namespace ctxvar
