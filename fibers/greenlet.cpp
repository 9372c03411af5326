// ctxvar::fibers::Greenlet's public members: checks, then the runtime (runtime.hpp).
#include "runtime.hpp"

#include <ctxvar/fibers/greenlet.hpp>

#include <stdexcept>

namespace ctxvar::fibers {
using detail::GreenletState;
using detail::ThreadState;

namespace {

// This thread's state if `g` belongs to this thread, else nullptr.
ThreadState* owner_state(const Greenlet& g) noexcept {
    ThreadState* ts = ThreadState::find();
    return ts != nullptr && ts->record == GreenletRuntime::core(g).thread ? ts : nullptr;
}

ThreadState& check_own_thread(const Greenlet& g, const char* what) {
    ThreadState& ts = ThreadState::get();
    if (GreenletRuntime::core(g).thread != ts.record) {
        throw GreenletError(std::string("cannot ") + what + " of a greenlet of a different thread");
    }
    return ts;
}

} // namespace

Greenlet::Greenlet(std::shared_ptr<Greenlet> parent, StackAllocator stacks) noexcept {
    core_.thread = parent->core_.thread;
    core_.parent = std::move(parent);
    core_.stacks = std::move(stacks);
}

Greenlet::Greenlet(MainTag) noexcept {}

Greenlet::~Greenlet() = default;

void Greenlet::check_parent(const Greenlet* parent) {
    if (parent == nullptr) {
        throw std::invalid_argument("a greenlet's parent cannot be null");
    }
    if (owner_state(*parent) == nullptr) {
        throw std::invalid_argument("parent cannot be on a different thread");
    }
}

std::shared_ptr<Greenlet> Greenlet::adopt(Greenlet* created) {
    return std::shared_ptr<Greenlet>(created, detail::Reaper{});
}

std::shared_ptr<Greenlet> Greenlet::current() {
    ThreadState& ts = ThreadState::get();
    GreenletRuntime::kill_doomed(ts);
    return GreenletRuntime::handle_of_current(ts);
}

bool Greenlet::started() const noexcept {
    return core_.state.load(std::memory_order_acquire) != GreenletState::unstarted;
}

bool Greenlet::dead() const noexcept {
    return core_.state.load(std::memory_order_acquire) == GreenletState::dead;
}

std::shared_ptr<Greenlet> Greenlet::parent() const {
    check_own_thread(*this, "get the parent");
    return core_.parent;
}

void Greenlet::set_parent(std::shared_ptr<Greenlet> parent) {
    check_own_thread(*this, "set the parent");
    if (core_.main) {
        throw std::invalid_argument("cannot set the parent of a main greenlet");
    }
    check_parent(parent.get());
    for (const Greenlet* p = parent.get(); p != nullptr; p = p->core_.parent.get()) {
        if (p == this) {
            throw std::invalid_argument("cyclic parent chain");
        }
    }
    core_.parent.swap(parent); // the old parent goes after the change
}

std::optional<Context> Greenlet::context() const {
    ThreadState* ts = owner_state(*this);
    if (ts == nullptr) {
        if (!dead()) {
            throw GreenletError("cannot get context of a greenlet that is running in a different "
                                "thread (or may run there: it has not finished)");
        }
        return core_.saved.context();
    }
    if (ts->current == this) {
        SavedContext now = switch_context(SavedContext{});
        std::optional<Context> handle = now.context();
        switch_context(std::move(now));
        return handle;
    }
    return core_.saved.context();
}

void Greenlet::set_context(std::optional<Context> context) {
    SavedContext next = context ? SavedContext(std::move(*context)) : SavedContext{};
    constexpr const char* inside_run =
        "cannot set the context of a greenlet while its context is entered (inside "
        "Context::run): the run would exit with another context current";
    ThreadState* ts = owner_state(*this);
    if (ts == nullptr) {
        if (!dead()) {
            throw GreenletError("cannot set context of a greenlet that is running in a different "
                                "thread (or may run there: it has not finished)");
        }
        core_.saved = std::move(next);
        return;
    }
    if (ts->current == this) {
        SavedContext now = switch_context(std::move(next));
        if (now.entered()) {
            switch_context(std::move(now)); // puts it back; `next` goes
            throw GreenletError(inside_run);
        }
        return; // `now`, the replaced context, goes
    }
    if (core_.saved.entered()) {
        throw GreenletError(inside_run);
    }
    core_.saved = std::move(next);
}

} // namespace ctxvar::fibers
