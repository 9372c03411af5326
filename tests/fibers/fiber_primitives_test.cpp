// The context scheduler under every Boost.Fiber blocking primitive: fibers that block on each
// other through yield, sleep, the mutexes, the condition variables, a barrier, both channels,
// futures (promise, async, packaged_task) and join each keep their own values after every
// switch, on one thread (round_robin) and on shared_work pools of 2 and 4 threads (in a forked
// child each: shared_work's ready queue is a process-wide static). Then inheritance under both
// launch policies (a plain fiber and make_fiber with a copy, an empty or a given context; siblings
// and grandchildren), and Werkzeug's locals (Local, LocalStack, LocalProxy) inside fibers.
#include "boost_fiber_support.hpp"

#include <ctxvar/ctxvar.hpp>
#include <ctxvar/fibers/scheduler.hpp>

#include <boost/fiber/all.hpp>
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
extern "C" int __asan_option_detect_stack_use_after_return; // ASan's runtime switch
#endif

namespace bf = boost::fibers;
using ctxvar::fibers::make_fiber;
using fibers_test::in_child_process;
using fibers_test::on_fiber_thread;
using namespace std::chrono_literals;

namespace {

// Every scenario fiber sets all three, and sets fiber_step again after every switch (a fresh
// value object each time, so a context handed over wrongly shows as a wrong step or a freed
// string). child_mark is set only by the fibers that scenario fibers create: a parent that sees
// it has received its child's context.
ctxvar::ContextVar<int> fiber_id("fiber_id", -1);
ctxvar::ContextVar<std::string> fiber_name("fiber_name", "none");
ctxvar::ContextVar<int> fiber_step("fiber_step", -1);
ctxvar::ContextVar<int> child_mark("child_mark", -1);

// Longer than the small-string buffer: the value lives on the heap, where ASan watches it.
std::string label_of(int id) {
    return "fiber-" + std::to_string(id) + "-with-a-name-longer-than-the-small-string-buffer";
}

const char* name_of(bf::channel_op_status status) {
    switch (status) {
    case bf::channel_op_status::success:
        return "success";
    case bf::channel_op_status::empty:
        return "empty";
    case bf::channel_op_status::full:
        return "full";
    case bf::channel_op_status::closed:
        return "closed";
    case bf::channel_op_status::timeout:
        return "timeout";
    }
    return "?";
}

// What one scenario found, from any thread.
class Tally {
  public:
    explicit Tally(std::string scenario) : scenario_(std::move(scenario)) {}

    void problem(const std::string& text) {
        ++problems_;
        std::lock_guard lock(mutex_);
        if (texts_.size() < 12) {
            texts_.push_back(scenario_ + ": " + text);
        }
    }

    template <class A, class B>
    void expect_eq(const std::string& what, const A& actual, const B& expected) {
        if (!(actual == expected)) {
            std::ostringstream text;
            text << what << ": got " << actual << ", expected " << expected;
            problem(text.str());
        }
    }

    // A sign that the fibers really blocked on each other: certain on one thread, where the
    // scheduling is deterministic; on a pool it depends on the timing, so it is only noted.
    void expect_blocking(bool happened, const std::string& text) {
        if (!happened) {
            if (on_one_thread) {
                problem(text);
            } else {
                ++unblocked_notes;
            }
        }
    }

    int problems() const { return problems_; }
    std::vector<std::string> texts() const {
        std::lock_guard lock(mutex_);
        return texts_;
    }
    const std::string& scenario() const { return scenario_; }

    bool on_one_thread = true;
    std::atomic<int> unblocked_notes{0}; // pools: expect_blocking's misses

    // The values of the flow that creates the scenario's fibers (they start in a copy).
    int creator_id = -1;
    std::string creator_name;

    std::atomic<long> checks{0};         // checks after a switch point, all fibers
    std::atomic<long> blocked{0};        // blocking operations during which another fiber ran
    std::atomic<long> epoch{0};          // bumped by every check
    std::atomic<int> rounds_done{0};     // rounds completed, all fibers
    std::atomic<int> fibers_done{0};     // scenario fibers that reached their end
    std::atomic<int> migrated_fibers{0}; // scenario fibers that ran on more than one OS thread

  private:
    std::string scenario_;
    std::atomic<int> problems_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> texts_;
};

// Set while a shared_work pool runs (in the forked child), so that its threads share the fibers
// for real. With suspend = true an idle thread sleeps until its own scheduler is notified, which
// a fiber made ready on another thread does not do: wake_idle_threads() wakes them, and their
// dispatchers then take fibers from the shared queue before their main contexts. And a fiber
// works a little after every switch (work_per_check): the scenarios last long enough for the
// woken threads to join in.
std::function<void()> wake_idle_threads;
std::chrono::nanoseconds work_per_check{0};

// Called after every check: on a pool, wakes the idle threads and works a little.
void after_check() {
    if (wake_idle_threads) {
        wake_idle_threads();
    }
    if (work_per_check.count() > 0) {
        const auto until = std::chrono::steady_clock::now() + work_per_check;
        while (std::chrono::steady_clock::now() < until) {
        }
    }
}

// One scenario fiber's own values, checked after every switch point.
class Probe {
  public:
    Probe(Tally& tally, int id)
        : tally_(tally), id_(id), name_(label_of(id)), thread_(std::this_thread::get_id()) {
        // A new fiber starts in a copy of its creator's context.
        tally_.expect_eq("fiber " + std::to_string(id) + " at start: fiber_id", fiber_id.get(),
                         tally_.creator_id);
        tally_.expect_eq("fiber " + std::to_string(id) + " at start: fiber_name", fiber_name.get(),
                         tally_.creator_name);
        fiber_id.set(id_);
        fiber_name.set(name_);
        fiber_step.set(step_);
        size_ = ctxvar::copy_context().size();
    }
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;
    ~Probe() {
        ++tally_.fibers_done;
        if (migrated_) {
            ++tally_.migrated_fibers;
        }
    }

    // Runs `op`, a switch point, then checks that the fiber sees its own values.
    template <class Op>
    void block(const char* where, Op op) {
        const long before = tally_.epoch.load();
        op();
        if (tally_.epoch.load() != before) {
            ++tally_.blocked;
        }
        check(where);
    }

    void check(const char* where) {
        const int id = fiber_id.get();
        const std::string name = fiber_name.get();
        const int step = fiber_step.get();
        const int mark = child_mark.get();
        const std::size_t size = ctxvar::copy_context().size();
        if (id != id_ || name != name_ || step != step_ || mark != -1 || size != size_) {
            std::ostringstream text;
            text << "fiber " << id_ << " after " << where << " (step " << step_
                 << ") saw fiber_id=" << id << " fiber_name=\"" << name << "\" fiber_step=" << step
                 << " child_mark=" << mark << " size=" << size << " (own size " << size_ << ")";
            tally_.problem(text.str());
        }
        ++step_;
        fiber_step.set(step_); // a set after every switch
        const std::thread::id thread = std::this_thread::get_id();
        if (thread != thread_) {
            migrated_ = true;
            thread_ = thread;
        }
        ++tally_.checks;
        ++tally_.epoch;
        after_check();
    }

    void round_done() { ++tally_.rounds_done; }
    int step() const { return step_; }
    bool migrated() const { return migrated_; }

  private:
    Tally& tally_;
    const int id_;
    const std::string name_;
    int step_ = 0;
    std::size_t size_ = 0;
    std::thread::id thread_;
    bool migrated_ = false;
};

// Starts `count` fibers running body(i) (launch::post, from the calling flow) and joins them.
template <class Body>
void run_fibers(int count, Body body) {
    std::vector<bf::fiber> fibers;
    fibers.reserve(count);
    for (int i = 0; i < count; ++i) {
        fibers.emplace_back([&body, i] { body(i); });
    }
    after_check();
    for (bf::fiber& fiber : fibers) {
        fiber.join();
    }
}

// ---- the primitive scenarios: each runs `fibers` fibers for `rounds` rounds -------------------

void yield_scenario(Tally& t, int fibers, int rounds) {
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        for (int round = 0; round < rounds; ++round) {
            probe.block("this_fiber::yield", [] { boost::this_fiber::yield(); });
            probe.round_done();
        }
    });
}

void sleep_scenario(Tally& t, int fibers, int rounds) {
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        for (int round = 0; round < rounds; ++round) {
            // Different lengths, so that the fibers wake in a changing order.
            const auto length = std::chrono::microseconds(50 + 40 * ((i + round) % 3));
            probe.block("this_fiber::sleep_for", [&] { boost::this_fiber::sleep_for(length); });
            probe.round_done();
        }
    });
}

void mutex_scenario(Tally& t, int fibers, int rounds) {
    bf::mutex mutex;
    int inside = 0; // guarded by `mutex`
    std::atomic<int> contended{0};
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        for (int round = 0; round < rounds; ++round) {
            probe.block("mutex::lock", [&] {
                if (!mutex.try_lock()) {
                    ++contended;
                    mutex.lock();
                }
            });
            t.expect_eq("fibers inside the mutex", ++inside, 1);
            probe.block("yield holding the mutex", [] { boost::this_fiber::yield(); });
            --inside;
            mutex.unlock();
            // Lets the waiter that unlock() woke take the mutex: the next lock() waits for it.
            probe.block("yield after unlocking the mutex", [] { boost::this_fiber::yield(); });
            probe.round_done();
        }
    });
    t.expect_blocking(contended > 0, "the mutex was never contended");
}

void timed_mutex_scenario(Tally& t, int fibers, int rounds) {
    bf::timed_mutex mutex;
    int inside = 0; // guarded by `mutex`
    std::atomic<int> timeouts{0};
    std::atomic<int> acquired{0};
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        for (int round = 0; round < rounds; ++round) {
            bool locked = false;
            while (!locked) {
                probe.block("timed_mutex::try_lock_for",
                            [&] { locked = mutex.try_lock_for(100us); });
                if (!locked) {
                    ++timeouts;
                }
            }
            ++acquired;
            t.expect_eq("fibers inside the timed_mutex", ++inside, 1);
            // Held across a long sleep now and then: the others' try_lock_for times out.
            probe.block("sleep or yield holding the timed_mutex", [&] {
                if (round % 4 == 0) {
                    boost::this_fiber::sleep_for(300us);
                } else {
                    boost::this_fiber::yield();
                }
            });
            --inside;
            mutex.unlock();
            probe.round_done();
        }
    });
    t.expect_eq("acquisitions", acquired.load(), fibers * rounds);
    t.expect_blocking(timeouts > 0, "try_lock_for never timed out");
}

void recursive_mutex_scenario(Tally& t, int fibers, int rounds) {
    bf::recursive_mutex mutex;
    int inside = 0; // guarded by `mutex`
    std::atomic<int> contended{0};
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        for (int round = 0; round < rounds; ++round) {
            probe.block("recursive_mutex::lock", [&] {
                if (!mutex.try_lock()) {
                    ++contended;
                    mutex.lock();
                }
            });
            t.expect_eq("fibers inside the recursive_mutex", ++inside, 1);
            probe.block("yield holding the recursive_mutex once",
                        [] { boost::this_fiber::yield(); });
            if (!mutex.try_lock()) { // the owner locks it again without blocking
                t.problem("recursive_mutex: the owner could not lock it again");
                mutex.lock();
            }
            probe.block("yield holding the recursive_mutex twice",
                        [] { boost::this_fiber::yield(); });
            mutex.unlock();
            probe.block("yield holding the recursive_mutex once more",
                        [] { boost::this_fiber::yield(); });
            --inside;
            mutex.unlock();
            probe.block("yield after unlocking the recursive_mutex",
                        [] { boost::this_fiber::yield(); });
            probe.round_done();
        }
    });
    t.expect_blocking(contended > 0, "the recursive_mutex was never contended");
}

// A token ring: fiber i waits until it is its turn, so the fibers run strictly in the order
// 0, 1, ..., n-1, 0, 1, ...; `order` records that order. `wait(turn_changed, lock)` is the
// blocking call under test, named `what`.
template <class Mutex, class ConditionVariable, class Wait>
void token_ring_scenario(Tally& t, int fibers, int rounds, const char* what, Wait wait) {
    Mutex mutex;
    ConditionVariable turn_changed;
    int turn = 0;           // guarded by `mutex`
    std::vector<int> order; // guarded by `mutex`
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        for (int round = 0; round < rounds; ++round) {
            std::unique_lock lock(mutex);
            while (turn != i) {
                probe.block(what, [&] { wait(turn_changed, lock); });
            }
            order.push_back(i);
            turn = (turn + 1) % fibers;
            lock.unlock();
            turn_changed.notify_all();
            probe.round_done();
        }
    });
    bool in_order = order.size() == static_cast<std::size_t>(fibers * rounds);
    for (std::size_t k = 0; in_order && k < order.size(); ++k) {
        in_order = order[k] == static_cast<int>(k % fibers);
    }
    if (!in_order) {
        t.problem("the fibers did not take their turns in order");
    }
}

void condition_variable_scenario(Tally& t, int fibers, int rounds) {
    token_ring_scenario<bf::mutex, bf::condition_variable>(
        t, fibers, rounds, "condition_variable::wait",
        [](auto& turn_changed, auto& lock) { turn_changed.wait(lock); });
}

// The same ring on a condition_variable_any over a std::mutex (as Boost's work_sharing example
// waits), with the timed wait.
void condition_variable_any_scenario(Tally& t, int fibers, int rounds) {
    token_ring_scenario<std::mutex, bf::condition_variable_any>(
        t, fibers, rounds, "condition_variable_any::wait_for",
        [](auto& turn_changed, auto& lock) { turn_changed.wait_for(lock, 10s); });
}

void barrier_scenario(Tally& t, int fibers, int rounds) {
    bf::barrier barrier(static_cast<std::size_t>(fibers));
    std::atomic<int> arrivals{0};
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        for (int round = 0; round < rounds; ++round) {
            ++arrivals;
            probe.block("barrier::wait", [&] { barrier.wait(); });
            // Everyone arrived for this round, and nobody can be past the next barrier.
            const int seen = arrivals.load();
            if (seen < (round + 1) * fibers || seen > (round + 2) * fibers) {
                t.problem("barrier round " + std::to_string(round) + ": " + std::to_string(seen) +
                          " arrivals");
            }
            probe.round_done();
        }
    });
}

// Even fibers push, odd fibers pop; a buffered_channel of capacity 2 holds one value, so both
// sides block. Every value must arrive exactly once.
void buffered_channel_scenario(Tally& t, int fibers, int rounds) {
    bf::buffered_channel<int> channel(2);
    std::atomic<int> full{0};
    std::atomic<int> empty{0};
    std::vector<std::atomic<int>> received(static_cast<std::size_t>(fibers * rounds));
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        for (int round = 0; round < rounds; ++round) {
            if (i % 2 == 0) {
                const int value = i * rounds + round;
                probe.block("buffered_channel::push", [&] {
                    if (channel.try_push(value) == bf::channel_op_status::full) {
                        ++full;
                        t.expect_eq("push status", name_of(channel.push(value)),
                                    std::string("success"));
                    }
                });
            } else {
                int value = -1;
                probe.block("buffered_channel::pop", [&] {
                    if (channel.try_pop(value) == bf::channel_op_status::empty) {
                        ++empty;
                        t.expect_eq("pop status", name_of(channel.pop(value)),
                                    std::string("success"));
                    }
                });
                if (value >= 0 && value < fibers * rounds) {
                    ++received[static_cast<std::size_t>(value)];
                } else {
                    t.problem("popped " + std::to_string(value));
                }
            }
            probe.round_done();
        }
    });
    for (int value = 0; value < fibers * rounds; ++value) {
        const bool pushed = (value / rounds) % 2 == 0;
        t.expect_eq("times " + std::to_string(value) + " was received",
                    received[static_cast<std::size_t>(value)].load(), pushed ? 1 : 0);
    }
    t.expect_blocking(full > 0 && empty > 0,
                      "a side never blocked: " + std::to_string(full.load()) + " full, " +
                          std::to_string(empty.load()) + " empty");
}

// The same on an unbuffered_channel: every push waits for a pop.
void unbuffered_channel_scenario(Tally& t, int fibers, int rounds) {
    bf::unbuffered_channel<int> channel;
    std::vector<std::atomic<int>> received(static_cast<std::size_t>(fibers * rounds));
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        for (int round = 0; round < rounds; ++round) {
            if (i % 2 == 0) {
                const int value = i * rounds + round;
                probe.block("unbuffered_channel::push", [&] {
                    t.expect_eq("push status", name_of(channel.push(value)),
                                std::string("success"));
                });
            } else {
                int value = -1;
                probe.block("unbuffered_channel::pop", [&] {
                    t.expect_eq("pop status", name_of(channel.pop(value)), std::string("success"));
                });
                if (value >= 0 && value < fibers * rounds) {
                    ++received[static_cast<std::size_t>(value)];
                } else {
                    t.problem("popped " + std::to_string(value));
                }
            }
            probe.round_done();
        }
    });
    for (int value = 0; value < fibers * rounds; ++value) {
        const bool pushed = (value / rounds) % 2 == 0;
        t.expect_eq("times " + std::to_string(value) + " was received",
                    received[static_cast<std::size_t>(value)].load(), pushed ? 1 : 0);
    }
}

// A ring of promises: token k = round * fibers + i belongs to fiber i; it waits for its token
// (future::get), then fulfils the next one, so the fibers run strictly in turn.
void promise_scenario(Tally& t, int fibers, int rounds) {
    const int tokens = fibers * rounds;
    std::vector<bf::promise<int>> promises(static_cast<std::size_t>(tokens));
    std::vector<bf::future<int>> futures;
    for (bf::promise<int>& promise : promises) {
        futures.push_back(promise.get_future());
    }
    int next = 0; // the token whose turn it is: only its owner runs
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        for (int round = 0; round < rounds; ++round) {
            const int token = round * fibers + i;
            if (token > 0) {
                int value = -1;
                probe.block("future::get", [&] { value = futures[token].get(); });
                t.expect_eq("token", value, token);
            }
            t.expect_eq("turn", next, token);
            next = token + 1;
            if (token + 1 < tokens) {
                promises[static_cast<std::size_t>(token) + 1].set_value(token + 1);
            }
            probe.round_done();
        }
    });
    t.expect_eq("tokens passed", next, tokens);
}

// The body of a fiber that a scenario fiber creates (async, packaged_task, join): it starts in a
// copy of its parent's context as of the creation, and its own sets stay its own.
int child_work(Tally& t, int parent, int parent_step, int round, int yields) {
    const std::string who =
        "child of fiber " + std::to_string(parent) + " round " + std::to_string(round) + ": ";
    t.expect_eq(who + "fiber_id", fiber_id.get(), parent);
    t.expect_eq(who + "fiber_name", fiber_name.get(), label_of(parent));
    t.expect_eq(who + "fiber_step", fiber_step.get(), parent_step);
    t.expect_eq(who + "child_mark", child_mark.get(), -1);
    const int mark = parent * 1000 + round;
    child_mark.set(mark);
    fiber_id.set(-2 - parent);
    for (int k = 0; k < yields; ++k) {
        boost::this_fiber::yield();
        t.expect_eq(who + "child_mark after a yield", child_mark.get(), mark);
        t.expect_eq(who + "fiber_id after a yield", fiber_id.get(), -2 - parent);
        t.expect_eq(who + "fiber_step after a yield", fiber_step.get(), parent_step);
    }
    return mark;
}

// bf::async and a bf::packaged_task run by a fiber, in turn, under both launch policies; the
// parent blocks on the future. After get() it sees its own values, none of the child's.
void async_scenario(Tally& t, int fibers, int rounds) {
    std::atomic<int> children{0};
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        for (int round = 0; round < rounds; ++round) {
            const bf::launch policy =
                (i + round) % 2 == 0 ? bf::launch::post : bf::launch::dispatch;
            const int creation_step = probe.step();
            const int expected = i * 1000 + round;
            int got = -1;
            if (round % 2 == 0) {
                bf::future<int> result;
                probe.block("bf::async", [&] {
                    result = bf::async(policy, [&t, &children, i, creation_step, round] {
                        ++children;
                        return child_work(t, i, creation_step, round, 2);
                    });
                });
                probe.block("future::get (async)", [&] { got = result.get(); });
            } else {
                bf::packaged_task<int(int)> task([&t, &children, i, creation_step](int r) {
                    ++children;
                    return child_work(t, i, creation_step, r, 2);
                });
                bf::future<int> result = task.get_future();
                bf::fiber runner;
                probe.block("fiber running a packaged_task",
                            [&] { runner = bf::fiber(policy, std::move(task), round); });
                probe.block("future::get (packaged_task)", [&] { got = result.get(); });
                probe.block("join of the packaged_task's fiber", [&] { runner.join(); });
            }
            t.expect_eq("future value", got, expected);
            probe.round_done();
        }
    });
    t.expect_eq("children run", children.load(), fibers * rounds);
}

void join_scenario(Tally& t, int fibers, int rounds) {
    std::atomic<int> children{0};
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        for (int round = 0; round < rounds; ++round) {
            const bf::launch policy =
                (i + round) % 2 == 0 ? bf::launch::post : bf::launch::dispatch;
            const int creation_step = probe.step();
            bf::fiber child;
            probe.block("fiber creation", [&] {
                child = bf::fiber(policy, [&t, &children, i, creation_step, round] {
                    ++children;
                    child_work(t, i, creation_step, round, 3);
                });
            });
            probe.block("fiber::join", [&] { child.join(); });
            probe.round_done();
        }
    });
    t.expect_eq("children run", children.load(), fibers * rounds);
}

// Pool only: each fiber yields until it has run on a second thread (or a deadline passes),
// so that a pool's test of migration does not hang on the timing of the other scenarios.
void migration_scenario(Tally& t, int fibers, int rounds) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    std::atomic<int> moved{0}; // fibers that have run on a second thread
    run_fibers(fibers, [&](int i) {
        Probe probe(t, i);
        bool counted = false;
        for (int round = 0; round < rounds; ++round) {
            // All keep yielding until all have moved: a fiber alone in the queue would rarely
            // be there when another thread looks.
            while (moved < fibers && std::chrono::steady_clock::now() < deadline) {
                probe.block("this_fiber::yield", [] { boost::this_fiber::yield(); });
                if (!counted && probe.migrated()) {
                    counted = true;
                    ++moved;
                }
            }
            probe.round_done();
        }
    });
}

struct Scenario {
    const char* name;
    int fibers;
    int rounds;
    void (*run)(Tally&, int fibers, int rounds);
};

constexpr Scenario primitive_scenarios[] = {
    {"this_fiber::yield", 6, 20, &yield_scenario},
    {"this_fiber::sleep_for", 6, 8, &sleep_scenario},
    {"mutex (contended)", 6, 12, &mutex_scenario},
    {"timed_mutex::try_lock_for", 4, 8, &timed_mutex_scenario},
    {"recursive_mutex", 6, 8, &recursive_mutex_scenario},
    {"condition_variable (token ring)", 6, 12, &condition_variable_scenario},
    {"condition_variable_any (token ring)", 6, 12, &condition_variable_any_scenario},
    {"barrier", 6, 12, &barrier_scenario},
    {"buffered_channel", 6, 16, &buffered_channel_scenario},
    {"unbuffered_channel", 6, 16, &unbuffered_channel_scenario},
    {"future::get (promise ring)", 6, 12, &promise_scenario},
    {"async and packaged_task", 6, 8, &async_scenario},
    {"fiber::join", 6, 8, &join_scenario},
};

// The calling flow's own values, for the scenario fibers to inherit and for it to check later.
void set_creator_values(int id, const std::string& name) {
    fiber_id.set(id);
    fiber_name.set(name);
    fiber_step.set(0);
}

// Runs one scenario from the calling flow (a thread's main context); the counts that do not
// depend on the scheduling go into the tally's problems, and the creator's values must be
// intact afterwards.
void run_scenario(const Scenario& scenario, Tally& t) {
    t.creator_id = fiber_id.get();
    t.creator_name = fiber_name.get();
    scenario.run(t, scenario.fibers, scenario.rounds);
    const int fiber_rounds = scenario.fibers * scenario.rounds;
    t.expect_eq("fibers done", t.fibers_done.load(), scenario.fibers);
    t.expect_eq("rounds done", t.rounds_done.load(), fiber_rounds);
    t.expect_blocking(t.blocked > 0, "no operation ever blocked");
    t.expect_eq("creator's fiber_id after the join", fiber_id.get(), t.creator_id);
    t.expect_eq("creator's fiber_name after the join", fiber_name.get(), t.creator_name);
    t.expect_eq("creator's fiber_step after the join", fiber_step.get(), 0);
    t.expect_eq("creator's child_mark after the join", child_mark.get(), -1);
}

// ---- inheritance -------------------------------------------------------------------------------

ctxvar::ContextVar<int> generation("generation", -1);
ctxvar::ContextVar<std::string> lineage("lineage", "none");

enum class Start { plain_fiber, make_inherit, make_empty, make_given };
constexpr Start all_starts[] = {Start::plain_fiber, Start::make_inherit, Start::make_empty,
                                Start::make_given};
constexpr bf::launch both_policies[] = {bf::launch::post, bf::launch::dispatch};

const char* name_of(Start start) {
    switch (start) {
    case Start::plain_fiber:
        return "boost::fibers::fiber";
    case Start::make_inherit:
        return "make_fiber(inherit_context)";
    case Start::make_empty:
        return "make_fiber(empty_context)";
    case Start::make_given:
        return "make_fiber(Context)";
    }
    return "?";
}

const char* name_of(bf::launch policy) {
    return policy == bf::launch::post ? "launch::post" : "launch::dispatch";
}

bf::fiber start_fiber(Start start, bf::launch policy, const ctxvar::Context& given,
                      std::function<void()> body) {
    switch (start) {
    case Start::plain_fiber:
        return bf::fiber(policy, std::move(body));
    case Start::make_inherit:
        return make_fiber(policy, ctxvar::fibers::inherit_context, std::move(body));
    case Start::make_empty:
        return make_fiber(policy, ctxvar::empty_context, std::move(body));
    case Start::make_given:
        return make_fiber(policy, given, std::move(body));
    }
    return bf::fiber();
}

// Two siblings, each with a grandchild, started as `start` says under `policy` from the calling
// flow. Each generation checks it starts with its creator's values as of its creation and keeps
// its own across yields that interleave it with the others.
void inheritance_scenario(Tally& t, Start start, bf::launch policy) {
    const std::string where = std::string(name_of(start)) + ", " + name_of(policy) + ": ";
    std::atomic<int> ran{0};
    ctxvar::Context given[2];
    for (int k = 0; k < 2; ++k) {
        given[k].run([k] {
            generation.set(70 + k);
            lineage.set("given-" + std::to_string(k));
        });
    }
    lineage.set("creator");
    std::vector<bf::fiber> siblings;
    for (int k = 0; k < 2; ++k) {
        generation.set(k + 1); // the value as of sibling k's creation
        siblings.push_back(start_fiber(start, policy, given[k], [&, k] {
            ++ran;
            const std::string me = where + "sibling " + std::to_string(k) + ": ";
            switch (start) {
            case Start::plain_fiber:
            case Start::make_inherit:
                t.expect_eq(me + "generation at start", generation.get(), k + 1);
                t.expect_eq(me + "lineage at start", lineage.get(), std::string("creator"));
                break;
            case Start::make_empty:
                t.expect_eq(me + "generation at start", generation.get(), -1);
                t.expect_eq(me + "lineage at start", lineage.get(), std::string("none"));
                t.expect_eq(me + "size at start", ctxvar::copy_context().size(), 0u);
                break;
            case Start::make_given:
                t.expect_eq(me + "generation at start", generation.get(), 70 + k);
                t.expect_eq(me + "lineage at start", lineage.get(), "given-" + std::to_string(k));
                break;
            }
            const std::string own = "sibling-" + std::to_string(k);
            generation.set(10 + k);
            lineage.set(own);
            for (int round = 0; round < 3; ++round) {
                boost::this_fiber::yield(); // the sibling and the creator run in between
                t.expect_eq(me + "generation after a yield", generation.get(), 10 + k);
                t.expect_eq(me + "lineage after a yield", lineage.get(), own);
                after_check();
            }
            // The grandchild inherits from this sibling (a copy, whatever the sibling started in).
            const Start grand_start =
                start == Start::plain_fiber ? Start::plain_fiber : Start::make_inherit;
            bf::fiber grandchild = start_fiber(grand_start, policy, given[k], [&, k] {
                ++ran;
                const std::string grand =
                    where + "grandchild of sibling " + std::to_string(k) + ": ";
                t.expect_eq(grand + "generation at start", generation.get(), 10 + k);
                t.expect_eq(grand + "lineage at start", lineage.get(), own);
                generation.set(20 + k);
                for (int round = 0; round < 2; ++round) {
                    boost::this_fiber::yield();
                    t.expect_eq(grand + "generation after a yield", generation.get(), 20 + k);
                    t.expect_eq(grand + "lineage after a yield", lineage.get(), own);
                    after_check();
                }
            });
            generation.set(30 + k); // after the grandchild's creation: invisible to it
            lineage.set(own + "-later");
            boost::this_fiber::yield();
            grandchild.join();
            t.expect_eq(me + "generation after the join", generation.get(), 30 + k);
            t.expect_eq(me + "lineage after the join", lineage.get(), own + "-later");
        }));
    }
    generation.set(3); // after both creations: invisible to the siblings
    for (bf::fiber& sibling : siblings) {
        sibling.join();
    }
    t.expect_eq(where + "fibers that ran", ran.load(), 4);
    t.expect_eq(where + "creator's generation after the joins", generation.get(), 3);
    t.expect_eq(where + "creator's lineage after the joins", lineage.get(), std::string("creator"));
    for (int k = 0; k < 2; ++k) {
        // A given context received the sibling's sets (not its grandchild's); the others were
        // left alone.
        const bool written = start == Start::make_given;
        const std::string own = "sibling-" + std::to_string(k);
        t.expect_eq(where + "given context " + std::to_string(k) + ": generation",
                    given[k].at(generation), written ? 30 + k : 70 + k);
        t.expect_eq(where + "given context " + std::to_string(k) + ": lineage",
                    given[k].at(lineage), written ? own + "-later" : "given-" + std::to_string(k));
        t.expect_eq(where + "given context " + std::to_string(k) + ": size", given[k].size(), 2u);
    }
}

// Every start and policy, created by the thread's main context and by a fiber; the main context
// keeps its own values throughout.
void all_inheritance_scenarios(Tally& t) {
    const std::size_t size_before = ctxvar::copy_context().size();
    for (Start start : all_starts) {
        for (bf::launch policy : both_policies) {
            inheritance_scenario(t, start, policy); // the main context creates
            generation.set(600);
            lineage.set("main");
            bf::fiber creator([&t, start, policy] {
                t.expect_eq("a creator fiber's inherited generation", generation.get(), 600);
                inheritance_scenario(t, start, policy); // a fiber creates
            });
            creator.join();
            t.expect_eq("main's generation after a creator fiber", generation.get(), 600);
            t.expect_eq("main's lineage after a creator fiber", lineage.get(), std::string("main"));
        }
    }
    t.expect_eq("main context's size", ctxvar::copy_context().size(), size_before + 2);
}

// ---- locals --------------------------------------------------------------------------------

struct Request {
    int id;
};

// 8 fibers each push their own request onto a LocalStack (above the one inherited from the
// main context) and name a user in a Local, then meet at a barrier every round; every few
// rounds they push a nested request and pop it again across a yield. After every switch they
// see their own request through the proxy; the main context, yielding meanwhile, sees only its
// own.
void locals_scenario(Tally& t) {
    constexpr int fibers = 8;
    constexpr int rounds = 9;
    ctxvar::Local local;
    ctxvar::LocalStack<Request*> stack;
    ctxvar::LocalProxy<Request> request{stack};
    ctxvar::LocalProxy<const std::string> user = local.proxy<const std::string>("user");
    std::vector<Request> requests;
    std::vector<Request> nested;
    for (int i = 0; i < fibers; ++i) {
        requests.push_back(Request{i});
        nested.push_back(Request{100 + i});
    }
    Request main_request{999};
    stack.push(&main_request);
    local.set("user", std::string("main-user"));
    bf::barrier barrier(fibers);
    std::atomic<int> done{0};
    std::atomic<long> checks{0};
    // The proxies' objects, or what tells that they are unbound (which would throw).
    auto request_id = [&] { return request.is_bound() ? request->id : -1; };
    auto user_name = [&] { return user.is_bound() ? *user : std::string("(unbound)"); };
    auto check = [&](int i, int id, std::size_t depth, const char* where) {
        const std::string me = "fiber " + std::to_string(i) + " after " + where + ": ";
        t.expect_eq(me + "request->id", request_id(), id);
        t.expect_eq(me + "stack size", stack.size(), depth);
        t.expect_eq(me + "user", user_name(), "user-" + std::to_string(i));
        t.expect_eq(me + "local names", local.names().size(), 2u);
        const std::string* path = local.get_if<std::string>("path");
        t.expect_eq(me + "path", path != nullptr ? *path : std::string("(none)"),
                    "/request/" + std::to_string(i));
        ++checks;
        after_check();
    };
    std::vector<bf::fiber> workers;
    for (int i = 0; i < fibers; ++i) {
        workers.emplace_back([&, i] {
            // The copy of the main context holds the main request.
            t.expect_eq("fiber's inherited request->id", request_id(), 999);
            stack.push(&requests[static_cast<std::size_t>(i)]);
            local.set("user", "user-" + std::to_string(i));
            local.set("path", "/request/" + std::to_string(i));
            for (int round = 0; round < rounds; ++round) {
                barrier.wait();
                check(i, i, 2, "barrier::wait");
                if (round % 3 == 1) {
                    stack.push(&nested[static_cast<std::size_t>(i)]);
                    boost::this_fiber::yield();
                    check(i, 100 + i, 3, "a yield with a nested request");
                    const std::optional<Request*> popped = stack.pop();
                    t.expect_eq("popped the nested request",
                                popped.has_value() &&
                                    *popped == &nested[static_cast<std::size_t>(i)],
                                true);
                    boost::this_fiber::yield();
                    check(i, i, 2, "a yield after the pop");
                }
            }
            t.expect_eq("popped the fiber's request",
                        stack.pop().value_or(nullptr) == &requests[static_cast<std::size_t>(i)],
                        true);
            t.expect_eq("request->id after the pop", request_id(), 999);
            local.release();
            t.expect_eq("user bound after release", user.is_bound(), false);
            ++done;
        });
    }
    after_check();
    long main_checks = 0;
    while (done.load() < fibers) {
        boost::this_fiber::yield();
        t.expect_eq("main context's request->id", request_id(), 999);
        t.expect_eq("main context's stack size", stack.size(), 1u);
        t.expect_eq("main context's user", user_name(), std::string("main-user"));
        t.expect_eq("main context's local names", local.names().size(), 1u);
        ++main_checks;
    }
    for (bf::fiber& worker : workers) {
        worker.join();
    }
    t.expect_eq("main context's request->id after the joins", request_id(), 999);
    t.expect_eq("main context's user after the joins", user_name(), std::string("main-user"));
    t.expect_eq("checks in the fibers", checks.load(), static_cast<long>(fibers) * (rounds + 6));
    t.expect_blocking(main_checks > 0, "the main context never checked while the fibers ran");
    stack.pop();
    local.release();
    t.expect_eq("main context's request bound at the end", request.is_bound(), false);
}

// ---- one thread, and a shared_work pool in a forked child ---------------------------------

bool verbose() {
    return std::getenv("CTXVAR_TEST_VERBOSE") != nullptr;
}

void print_counts(const char* where, const Tally& t) {
    if (verbose()) {
        std::fprintf(stderr, "%s: %s: %ld checks, %ld blocked, %d migrated, %d not blocking\n",
                     where, t.scenario().c_str(), t.checks.load(), t.blocked.load(),
                     t.migrated_fibers.load(), t.unblocked_notes.load());
    }
}

// Doctest's side of a tally: every problem as a failed check.
void report(const Tally& t) {
    for (const std::string& text : t.texts()) {
        FAIL_CHECK(text);
    }
    CHECK_MESSAGE(t.problems() == 0, t.scenario() << ": " << t.problems() << " problems");
}

// Prints a tally's problems from the child; returns their number.
int print_problems(const char* pool, const Tally& t) {
    for (const std::string& text : t.texts()) {
        std::fprintf(stderr, "child (%s): %s\n", pool, text.c_str());
    }
    if (t.problems() > 12) {
        std::fprintf(stderr, "child (%s): %s: %d problems in all\n", pool, t.scenario().c_str(),
                     t.problems());
    }
    return t.problems();
}

// ASan's detect_stack_use_after_return puts frames on a per-thread fake stack, which Boost.Fiber's
// unannotated stack switches break once fibers move between threads: Boost.Fiber 1.81 alone (no
// ctxvar; shared_work(true) on 2 threads, fibers that yield, create and join fibers) dies in about
// half of the runs with "AddressSanitizer: SEGV on unknown address ... WRITE" in
// boost::fibers::context::suspend_with_cc(), called by scheduler::terminate() when a fiber ends.
// Without the option, or without ASan, the same program never fails. So the pool's child turns
// the option off for itself (the rest of the suite keeps it), and the test says so.
bool fake_stacks_on() {
#if defined(__SANITIZE_ADDRESS__)
    return __asan_option_detect_stack_use_after_return != 0;
#else
    return false;
#endif
}

void turn_fake_stacks_off() {
#if defined(__SANITIZE_ADDRESS__)
    __asan_option_detect_stack_use_after_return = 0;
#endif
}

constexpr const char* fake_stacks_note =
    "ASan's detect_stack_use_after_return is off in this pool's forked child: with it, Boost.Fiber "
    "1.81's shared_work crashes (SEGV in boost::fibers::context::suspend_with_cc at a migrated "
    "fiber's end) even without ctxvar";

// In a forked child: `threads` threads that all run ctxvar's shared_work (suspend = true, so
// that idle threads sleep). Thread 0 runs every scenario; the others run fibers from the shared
// queue until it is done, waiting on a Boost.Fiber condition variable (as Boost's work_sharing
// example does). Each thread's main context keeps its own values. Returns the number of
// problems (0: all went well); with `require_migration`, no fiber having changed threads is one.
int run_pool(int threads, bool require_migration) {
    turn_fake_stacks_off();
    ::alarm(60); // a hang (it takes well under a second) kills the child: status 100 + SIGALRM
    char pool[32];
    std::snprintf(pool, sizeof pool, "shared_work x%d", threads);
    std::atomic<int> problems{0};
    std::atomic<int> migrated{0}; // in the primitive scenarios
    std::atomic<int> warm_up_migrated{0};
    std::atomic<int> scenario_fibers{0};
    bf::mutex done_mutex;
    bf::condition_variable done_changed;
    bool done = false; // guarded by done_mutex
    std::barrier<> started(threads);
    wake_idle_threads = [&] { done_changed.notify_all(); };
    work_per_check = 20us;
    std::vector<std::thread> pool_threads;
    for (int k = 0; k < threads; ++k) {
        pool_threads.emplace_back([&, k] {
            Tally own(std::string("main context of pool thread ") + std::to_string(k));
            try {
                ctxvar::fibers::use_context_scheduler<bf::algo::shared_work>(true);
                set_creator_values(2000 + k, "pool-thread-" + std::to_string(k));
            } catch (const std::exception& e) {
                own.problem(std::string("exception: ") + e.what());
            }
            started.arrive_and_wait();
            if (k == 0) {
                try {
                    const Scenario migration{"yield until migrated", 8, 1, &migration_scenario};
                    Tally warm_up(migration.name);
                    warm_up.on_one_thread = false;
                    run_scenario(migration, warm_up);
                    problems += print_problems(pool, warm_up);
                    print_counts(pool, warm_up);
                    warm_up_migrated = warm_up.migrated_fibers.load();
                    for (const Scenario& scenario : primitive_scenarios) {
                        Tally t(scenario.name);
                        t.on_one_thread = false;
                        run_scenario(scenario, t);
                        problems += print_problems(pool, t);
                        print_counts(pool, t);
                        migrated += t.migrated_fibers;
                        scenario_fibers += scenario.fibers;
                    }
                    Tally locals("locals");
                    locals.on_one_thread = false;
                    locals_scenario(locals);
                    problems += print_problems(pool, locals);
                    Tally inheritance("inheritance");
                    all_inheritance_scenarios(inheritance);
                    problems += print_problems(pool, inheritance);
                } catch (const std::exception& e) {
                    own.problem(std::string("exception: ") + e.what());
                }
                std::unique_lock lock(done_mutex);
                done = true;
                lock.unlock();
                done_changed.notify_all();
            } else {
                // Woken by wake_idle_threads too: the thread then runs shared fibers.
                std::unique_lock lock(done_mutex);
                done_changed.wait(lock, [&] { return done; });
            }
            own.expect_eq("fiber_id", fiber_id.get(), 2000 + k);
            own.expect_eq("fiber_name", fiber_name.get(), "pool-thread-" + std::to_string(k));
            own.expect_eq("fiber_step", fiber_step.get(), 0);
            problems += print_problems(pool, own);
        });
    }
    for (std::thread& thread : pool_threads) {
        thread.join();
    }
    wake_idle_threads = nullptr;
    work_per_check = {};
    if (verbose()) {
        std::fprintf(stderr,
                     "child (%s): fibers that ran on more than one thread: %d of 8 in the warm-up, "
                     "%d of %d in the primitive scenarios\n",
                     pool, warm_up_migrated.load(), migrated.load(), scenario_fibers.load());
    }
    if (require_migration && migrated + warm_up_migrated == 0) {
        std::fprintf(stderr, "child (%s): no fiber ever ran on more than one thread\n", pool);
        ++problems;
    }
    return problems.load();
}

} // namespace

TEST_SUITE("boost_fiber") {

    BOOST_FIBER_TEST_CASE("every blocking primitive keeps each fiber's values (round_robin)") {
        for (const Scenario& scenario : primitive_scenarios) {
            CAPTURE(std::string(scenario.name));
            Tally t(scenario.name);
            on_fiber_thread<bf::algo::round_robin>([&] {
                set_creator_values(1000, "round-robin-main");
                run_scenario(scenario, t);
            });
            report(t);
            print_counts("round_robin", t);
            CHECK(t.migrated_fibers == 0); // one thread: nothing can migrate
            // On one thread a fiber that blocked let the others run: most operations did.
            CHECK(t.blocked * 2 >= static_cast<long>(scenario.fibers) * scenario.rounds);
        }
    }

    BOOST_FIBER_TEST_CASE("every blocking primitive keeps each fiber's values (shared_work x2)") {
        if (fake_stacks_on()) {
            MESSAGE(std::string(fake_stacks_note));
        }
        const int status = in_child_process([] { return run_pool(2, false) == 0 ? 0 : 1; });
        CHECK(status == 0);
    }

    BOOST_FIBER_TEST_CASE("every blocking primitive keeps each fiber's values (shared_work x4)") {
        // Also requires that some fiber moved between threads.
        if (fake_stacks_on()) {
            MESSAGE(std::string(fake_stacks_note));
        }
        const int status = in_child_process([] { return run_pool(4, true) == 0 ? 0 : 1; });
        CHECK(status == 0);
    }

    BOOST_FIBER_TEST_CASE("inheritance: launch::post and launch::dispatch, fiber and make_fiber") {
        Tally t("inheritance");
        on_fiber_thread<bf::algo::round_robin>([&] { all_inheritance_scenarios(t); });
        report(t);
    }

    BOOST_FIBER_TEST_CASE("Local, LocalStack and LocalProxy are per fiber across blocking") {
        Tally t("locals");
        on_fiber_thread<bf::algo::round_robin>([&] { locals_scenario(t); });
        report(t);
    }
}
