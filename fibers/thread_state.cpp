// Each flow's greenlet state: created on first use with the flow's main greenlet, destroyed
// after killing the flow's unfinished greenlets. A thread's goes among its thread_local
// destructors; a Boost.Fiber fiber's (under the context scheduler) when the fiber finishes.
#include "exception_state.hpp"
#include "runtime.hpp"
#include "sanitizers.hpp"

#include <ctxvar/fibers/detail/fiber_switch.hpp>

#include <boost/fiber/fss.hpp>

#include <memory>

namespace ctxvar::fibers {
namespace detail {
namespace {

// The thread's main greenlet: the thread's own stack. It never runs a function of its own.
class MainGreenlet final : public Greenlet {
  public:
    MainGreenlet() noexcept : Greenlet(MainTag{}) {}

  private:
    std::any run(std::any) override { return {}; }
    void drop_body() noexcept override {}
};

constinit thread_local bool this_thread_ended = false;

struct Owner {
    std::unique_ptr<ThreadState> state;
    ~Owner() {
        state.reset(); // ~ThreadState still finds itself through this_thread_state meanwhile
        store_this_thread_state(nullptr);
        this_thread_ended = true;
    }
};

// Boost.Fiber runs a fiber's fiber_specific_ptr cleanups on the fiber's own stack as it
// finishes, before its last switch: the fiber's greenlets are killed there, inside the fiber.
void end_fiber_state(ThreadState* state) {
    delete state; // ~ThreadState still finds itself through this_thread_state meanwhile
    store_this_thread_state(nullptr);
}

// A new flow state with its main greenlet; made current only once nothing can throw any more.
std::unique_ptr<ThreadState> make_state() {
    auto state = std::make_unique<ThreadState>();
    state->main = GreenletRuntime::make_main(*state);
    state->current = state->main.get();
    state->exceptions = this_thread_exception_state();
    return state;
}

ThreadState& create_for_fiber(FiberSwitch& fibers) {
    static boost::fibers::fiber_specific_ptr<ThreadState> fiber_states(&end_fiber_state);
    std::unique_ptr<ThreadState> state = make_state();
    fiber_states.reset(state.get()); // may throw: then nothing is installed
    store_this_thread_state(state.get());
    fibers.greenlets_installed();
    return *state.release();
}

} // namespace

constinit thread_local ThreadState* this_thread_state = nullptr;

ThreadState* load_this_thread_state_out_of_line() noexcept {
    return this_thread_state;
}

void store_this_thread_state_out_of_line(ThreadState* state) noexcept {
    this_thread_state = state;
}

ThreadState::ThreadState() = default;

ThreadState::~ThreadState() {
    GreenletRuntime::end_thread(*this);
}

ThreadState& ThreadState::create() {
    FiberSwitch* fibers = FiberSwitch::of_this_thread();
    if (fibers != nullptr && fibers->in_worker_fiber()) {
        return create_for_fiber(*fibers);
    }
    if (this_thread_ended) {
        throw GreenletError("greenlets are gone on this thread: its greenlet runtime has ended "
                            "(a thread_local destructor that ran after it used them)");
    }
    static thread_local Owner owner;
    owner.state = make_state();
    store_this_thread_state(owner.state.get());
    if (fibers != nullptr) {
        fibers->greenlets_installed(); // the thread's main context runs with a runtime now
    }
    return *owner.state;
}

} // namespace detail

std::shared_ptr<Greenlet> GreenletRuntime::make_main(detail::ThreadState& ts) {
    auto main = std::shared_ptr<Greenlet>(new detail::MainGreenlet, detail::Reaper{});
    detail::GreenletCore& c = core(*main);
    c.main = true;
    c.thread = ts.record;
    c.tsan_fiber = detail::tsan_current_fiber();
    c.state.store(detail::GreenletState::active, std::memory_order_relaxed);
    return main;
}

} // namespace ctxvar::fibers
