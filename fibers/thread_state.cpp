// Each thread's greenlet state: created on first use with the thread's main greenlet, destroyed
// (after killing the thread's unfinished greenlets) among the thread's thread_local destructors.
#include "exception_state.hpp"
#include "runtime.hpp"
#include "sanitizers.hpp"

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
        this_thread_state = nullptr;
        this_thread_ended = true;
    }
};

} // namespace

constinit thread_local ThreadState* this_thread_state = nullptr;

ThreadState::ThreadState() = default;

ThreadState::~ThreadState() {
    GreenletRuntime::end_thread(*this);
}

ThreadState& ThreadState::create() {
    if (this_thread_ended) {
        throw GreenletError("greenlets are gone on this thread: its greenlet runtime has ended "
                            "(a thread_local destructor that ran after it used them)");
    }
    static thread_local Owner owner;
    auto state = std::make_unique<ThreadState>();
    state->main = GreenletRuntime::make_main(*state);
    state->current = state->main.get();
    state->exceptions = this_thread_exception_state();
    owner.state = std::move(state);
    this_thread_state = owner.state.get();
    return *this_thread_state;
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
