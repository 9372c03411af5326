// The greenlets' lifetime: the last handle going (kill at once, or later on the owning thread),
// the kill itself, and a thread's end, which kills what it left unfinished.
#include "runtime.hpp"
#include "sanitizers.hpp"

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <typeinfo>

namespace ctxvar::fibers {
using detail::GreenletState;
using detail::ThreadState;

namespace {

detail::GreenletCore& core(Greenlet& g) noexcept {
    return GreenletRuntime::core(g);
}

void report_ignored(const std::exception_ptr& error) noexcept {
    const char* what = "an exception of an unknown type";
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    std::fprintf(stderr, "ctxvar::fibers: exception ignored in a greenlet being destroyed: %s\n",
                 what);
}

void doom(detail::ThreadRecord& record, Greenlet& g) noexcept {
    std::lock_guard lock(record.mutex);
    if (record.ended.load(std::memory_order_relaxed)) {
        // Cannot happen: a thread kills all its unfinished greenlets before it ends, and waits
        // for those whose last handle is going elsewhere at that moment.
        std::fputs("ctxvar::fibers: an unfinished greenlet outlived its thread; leaked\n", stderr);
        return;
    }
    record.doomed.push_back(&g);
    record.has_doomed.store(true, std::memory_order_release);
}

// Whether `g` (suspended, of this thread) can be killed now: the running greenlet must be able
// to stand in as its parent, which needs a handle to it.
std::shared_ptr<Greenlet> killer_for(ThreadState& ts, Greenlet& g) noexcept {
    if (&g == ts.current) {
        return nullptr;
    }
    return ts.current->weak_from_this().lock();
}

// Makes a new handle for a greenlet whose handles are all gone (greenlet's resurrection), and
// takes it off the doomed list. An out-of-memory here terminates (it is only reached from
// noexcept paths that have nothing else to do).
std::shared_ptr<Greenlet> revive(ThreadState& ts, Greenlet& g) {
    {
        std::lock_guard lock(ts.record->mutex);
        std::erase(ts.record->doomed, &g);
    }
    return std::shared_ptr<Greenlet>(&g, detail::Reaper{});
}

// Throws GreenletExit into `g`, with `killer` (the running greenlet) as its parent meanwhile.
void kill(Greenlet& g, std::shared_ptr<Greenlet> killer) noexcept {
    std::shared_ptr<Greenlet> parent = std::exchange(core(g).parent, std::move(killer));
    try {
        (void)g.throw_in();
    } catch (...) {
        report_ignored(std::current_exception());
    }
    core(g).parent = std::move(parent);
}

// Kills a greenlet that nobody holds; if it refuses to die and still nobody took a handle to it,
// it stays suspended forever (greenlet's rule).
void kill_unreferenced(ThreadState& ts, Greenlet& g, std::shared_ptr<Greenlet> killer) noexcept {
    std::shared_ptr<Greenlet> handle = revive(ts, g);
    kill(g, std::move(killer));
    if (GreenletRuntime::state(g) == GreenletState::active && handle.use_count() == 1) {
        std::fputs("ctxvar::fibers: GreenletExit did not kill a greenlet (it switched away "
                   "instead of finishing); it is leaked\n",
                   stderr);
        new std::shared_ptr<Greenlet>(std::move(handle)); // deliberately never freed
    }
}

// At thread end, for a greenlet that survived its kill: its stack goes without unwinding.
void abandon(ThreadState& ts, Greenlet& g) noexcept {
    std::fputs("ctxvar::fibers: a greenlet survived GreenletExit at its thread's end; its stack "
               "is freed without unwinding\n",
               stderr);
    GreenletRuntime::unlink(ts, g);
    core(g).state.store(GreenletState::dead, std::memory_order_release);
    GreenletRuntime::release_stack(g);
    GreenletRuntime::drop_body(g);
}

} // namespace

void detail::Reaper::operator()(Greenlet* g) const noexcept {
    GreenletRuntime::reap(*g);
}

void GreenletRuntime::reap(Greenlet& g) noexcept {
    detail::GreenletCore& c = core(g);
    if (state(g) != GreenletState::active || c.main) {
        delete &g; // unstarted, finished, or a main greenlet whose thread ended
        return;
    }
    ThreadState* ts = ThreadState::find();
    if (ts != nullptr && ts->record == c.thread) {
        if (std::shared_ptr<Greenlet> killer = killer_for(*ts, g)) {
            kill_unreferenced(*ts, g, std::move(killer));
            return;
        }
    }
    doom(*c.thread, g);
}

void GreenletRuntime::kill_doomed_now(ThreadState& ts) noexcept {
    detail::ThreadRecord& record = *ts.record;
    std::vector<Greenlet*> doomed;
    {
        std::lock_guard lock(record.mutex);
        doomed.swap(record.doomed);
        record.has_doomed.store(false, std::memory_order_relaxed);
    }
    for (Greenlet* g : doomed) {
        if (state(*g) != GreenletState::active) {
            delete g; // it finished while it waited
        } else if (std::shared_ptr<Greenlet> killer = killer_for(ts, *g)) {
            kill_unreferenced(ts, *g, std::move(killer));
        } else {
            doom(record, *g); // the running greenlet itself, or one without a handle
        }
    }
}

std::shared_ptr<Greenlet> GreenletRuntime::handle_of_current(ThreadState& ts) {
    if (std::shared_ptr<Greenlet> handle = ts.current->weak_from_this().lock()) {
        return handle;
    }
    return revive(ts, *ts.current);
}

void GreenletRuntime::end_thread(ThreadState& ts) noexcept {
    if (ts.current != ts.main.get()) {
        std::fputs("ctxvar::fibers: a thread ended inside a greenlet\n", stderr);
        std::abort();
    }
    for (;;) {
        kill_doomed(ts);
        Greenlet* g = ts.newest;
        if (g == nullptr) {
            break;
        }
        if (std::shared_ptr<Greenlet> handle = g->weak_from_this().lock()) {
            kill(*g, ts.main);
            if (state(*g) == GreenletState::active) {
                abandon(ts, *g);
            }
        } else {
            // Its last handle is going on another thread right now: wait for it to arrive.
            while (!ts.record->has_doomed.load(std::memory_order_acquire)) {
                std::this_thread::yield();
            }
        }
    }
    std::lock_guard lock(ts.record->mutex);
    ts.record->ended.store(true, std::memory_order_release);
    core(*ts.main).state.store(GreenletState::dead, std::memory_order_release);
}

void GreenletRuntime::link(ThreadState& ts, Greenlet& g) noexcept {
    core(g).older = ts.newest;
    core(g).newer = nullptr;
    if (ts.newest != nullptr) {
        core(*ts.newest).newer = &g;
    }
    ts.newest = &g;
}

void GreenletRuntime::unlink(ThreadState& ts, Greenlet& g) noexcept {
    detail::GreenletCore& c = core(g);
    if (c.newer != nullptr) {
        core(*c.newer).older = c.older;
    } else {
        ts.newest = c.older;
    }
    if (c.older != nullptr) {
        core(*c.older).newer = c.newer;
    }
    c.older = c.newer = nullptr;
}

} // namespace ctxvar::fibers
