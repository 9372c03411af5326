// ctxvar::fibers::Greenlet: Python's greenlet on Boost.Context. Stackful fibers that switch to
// each other explicitly, pass values through switch_to, return to a parent, and each own a context.
#pragma once

#include <ctxvar/context.hpp>
#include <ctxvar/fibers/detail/greenlet_core.hpp>
#include <ctxvar/fibers/stack.hpp>

#include <any>
#include <concepts>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace ctxvar::fibers {

// Thrown into an unfinished greenlet when its last handle goes (and by default by throw_in).
// Like Boost.Context's forced_unwind it is not a std::exception, so `catch (const
// std::exception&)` cannot swallow an unwinding. Escaping a greenlet's function, it reaches the
// parent as a value: the parent's switch_to returns a std::any holding it.
struct GreenletExit {
    const char* what() const noexcept { return "GreenletExit"; }
};

// greenlet.error: a switch that cannot happen ("cannot switch to a different thread"), or a
// greenlet of another thread touched where only its own thread may. Nothing was switched.
class GreenletError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A greenlet: a function running on its own stack, started by the first switch_to and switched
// to and from explicitly. Greenlets are shared handles (std::shared_ptr<Greenlet>); a child keeps
// its parent alive. Each OS thread has an implicit main greenlet (the thread's own stack), and a
// greenlet belongs to the thread that created it: only that thread may switch to it.
//
// Contexts (greenlet's rules): each greenlet has its own current context, handed over on every
// switch through ctxvar::switch_context (one pointer; nothing is copied). A new greenlet has no
// context: variables read their defaults. Opt in before or after it starts with set_context:
// set_context(copy_context()) (a copy), set_context(Greenlet::current()->context()) (the same
// object: writes are visible both ways), set_context(Context{}) (a fresh one), or make its body
// `[ctx](std::any v) { return ctx.run(body, std::move(v)); }` to enter a context exclusively.
//
// Lifetime: when the last handle to a started, unfinished greenlet goes, GreenletExit is thrown
// into it at its pending switch and its stack unwinds (RAII runs, the runs it is inside exit),
// with the greenlet that dropped the handle as its parent for the while. This happens at once
// on the greenlet's thread; when the handle goes on another thread, or inside the greenlet
// itself while it runs, the kill waits for the owning thread's next switch_to, throw_in,
// current() or create(), or for that thread's end. An exception other than GreenletExit that
// ends a killed greenlet is printed to stderr and dropped (a destructor never throws); a
// greenlet that catches GreenletExit and switches back without finishing and without storing a
// new handle to itself is printed and leaked (greenlet's rule: it can never be resumed).
// When a thread ends, its unfinished greenlets are killed the same way, on that thread, from its
// thread_local destructors (so a greenlet's unwinding must not rely on thread_locals that may be
// gone); afterwards they are dead, and so is the thread's main greenlet. A greenlet that still
// refuses to die then has its stack freed without unwinding (printed).
//
// A handle held on a greenlet's own stack keeps it alive, temporaries included: write
//     auto parent = Greenlet::current()->parent();
//     parent->switch_to(v);
// rather than `Greenlet::current()->parent()->switch_to(v)`, whose temporary handle to the
// current greenlet lives through the switch (so dropping the greenlet's other handles while it
// waits there would not kill it).
//
// Stacks: see stack.hpp (default: 256 KiB with a guard page, pooled per thread). A greenlet takes
// its stack at its first switch_to and gives it back when it finishes.
//
// Do not call pthread_exit or cancel the thread inside a greenlet other than the main one: the
// unwinding cannot leave the greenlet's stack, and the process terminates.
class Greenlet : public std::enable_shared_from_this<Greenlet> {
  public:
    // A new, unstarted greenlet that will run fn(value) on its own stack when first switched to;
    // fn is callable as std::any(std::any) (or returns void: an empty std::any). Its parent is
    // `parent` (default: the current greenlet), which must belong to this thread
    // (std::invalid_argument "parent cannot be on a different thread" otherwise). Allocates the
    // greenlet (the stack comes at the start).
    template <class F>
    requires std::invocable < std::decay_t<F>
    &, std::any > static std::shared_ptr<Greenlet>
                  create(F&& fn, std::shared_ptr<Greenlet> parent = current()) {
        return create(std::allocator_arg, StackAllocator{}, std::forward<F>(fn), std::move(parent));
    }
    // The same, with stacks from `stacks` (any Boost.Context stack allocator converts).
    template <class F>
    requires std::invocable < std::decay_t<F>
    &, std::any >
           static std::shared_ptr<Greenlet> create(std::allocator_arg_t, StackAllocator stacks,
                                                   F&& fn,
                                                   std::shared_ptr<Greenlet> parent = current()) {
        check_parent(parent.get());
        return adopt(
            new Body<std::decay_t<F>>(std::forward<F>(fn), std::move(parent), std::move(stacks)));
    }

    // The greenlet running on this thread (its main greenlet when no other runs). Never null.
    static std::shared_ptr<Greenlet> current();

    // greenlet.switch: runs this greenlet until something switches back here, and returns what
    // was sent (an empty std::any from switch_to()). The first switch starts fn(value); later
    // ones resume the greenlet's own pending switch_to, which returns `value`. A dead greenlet
    // passes the switch to its parent (and up). When the greenlet's function returns, its
    // result is what this call returns if this is its parent; an exception that escapes it is
    // rethrown here (by design: switch_to rethrows its target's exception). Throws GreenletError
    // for a greenlet of another thread and std::bad_alloc when a stack cannot be had, with
    // nothing switched.
    std::any switch_to(std::any value = {});

    // greenlet.throw: switches to this greenlet and raises `error` at its pending switch. An
    // unstarted greenlet dies without running and `error` goes to its parent; on a dead
    // greenlet, GreenletExit comes back as a value and any other error goes to its parent.
    std::any throw_in(std::exception_ptr error = std::make_exception_ptr(GreenletExit{}));

    bool started() const noexcept; // it has run (it may have finished since)
    bool dead() const noexcept;    // it has finished (and a main greenlet's thread has ended)
    bool is_main() const noexcept { return core_.main; }
    explicit operator bool() const noexcept { return started() && !dead(); }

    // The parent: where the result goes when this greenlet finishes. Null for a main greenlet.
    // Only on the greenlet's own thread (GreenletError otherwise).
    std::shared_ptr<Greenlet> parent() const;
    // Throws std::invalid_argument, changing nothing, for a null parent, one of another thread
    // ("parent cannot be on a different thread"), one whose chain leads back here ("cyclic
    // parent chain"), or a main greenlet ("cannot set the parent of a main greenlet"). Only on
    // the greenlet's own thread (GreenletError otherwise).
    void set_parent(std::shared_ptr<Greenlet> parent);

    // greenlet's gr_context: the greenlet's current context object (the same object, not a
    // copy), or nullopt when it has none yet. For the running greenlet it is the thread's current
    // context. On another thread only a dead greenlet's may be read or set; a live one throws
    // GreenletError ("cannot get context of a greenlet that is running in a different thread";
    // Python also allows a suspended one, under its GIL: here that would race with the owner
    // switching to it).
    std::optional<Context> context() const;
    // Replaces it without entering it: a copy, the same object as another greenlet's (shared),
    // a fresh Context, or nullopt (none: the next set creates one). Throws GreenletError, and
    // changes nothing, when the context it would replace is entered (the greenlet is inside a
    // Context::run of it, or shares one that another flow runs): the run would exit with
    // another context current. Replacing the running greenlet's context ends the validity of
    // references obtained from ContextVar::get in it.
    void set_context(std::optional<Context> context);

    Greenlet(const Greenlet&) = delete;
    Greenlet& operator=(const Greenlet&) = delete;
    virtual ~Greenlet();

  protected:
    Greenlet(std::shared_ptr<Greenlet> parent, StackAllocator stacks) noexcept;
    struct MainTag {};
    explicit Greenlet(MainTag) noexcept;

  private:
    template <class F>
    class Body;
    friend struct detail::Reaper;
    friend struct GreenletRuntime; // fibers/ (the switching machinery)

    static void check_parent(const Greenlet* parent);
    static std::shared_ptr<Greenlet> adopt(Greenlet* created);

    virtual std::any run(std::any value) = 0;
    virtual void drop_body() noexcept = 0; // the function (and what it captured) goes

    detail::GreenletCore core_;
};

template <class F>
class Greenlet::Body final : public Greenlet {
  public:
    template <class G>
    Body(G&& fn, std::shared_ptr<Greenlet> parent, StackAllocator stacks)
        : Greenlet(std::move(parent), std::move(stacks)), fn_(std::forward<G>(fn)) {}

  private:
    std::any run(std::any value) override {
        if constexpr (std::is_void_v<std::invoke_result_t<F&, std::any>>) {
            std::invoke(*fn_, std::move(value));
            return {};
        } else {
            return std::any(std::invoke(*fn_, std::move(value)));
        }
    }
    void drop_body() noexcept override { fn_.reset(); }

    std::optional<F> fn_;
};

} // namespace ctxvar::fibers
