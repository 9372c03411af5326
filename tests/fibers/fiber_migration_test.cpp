// The context scheduler across threads and with other schedulers: fibers that work_stealing moves
// between threads keep their own context (a stress of 4 threads x 1,000 fibers x 100 switches
// among them), reads of a variable around a switch never use the old thread's slot (DESIGN.md,
// "TLS address caching"), a user's algorithm_with_properties<P> keeps its properties and its
// order, and greenlets used inside fibers belong to their fiber, also when it migrates.
//
// Boost's work_stealing keeps its pool in process-wide statics, and its thread count is fixed at
// first use: every pool here runs in a forked child (in_child_process), which reports what it
// saw through memory shared with the parent (SharedWithChild), where the checks are made.
#include "boost_fiber_support.hpp"
#include "to_parent.hpp"

#include <ctxvar/ctxvar.hpp>
#include <ctxvar/fibers/greenlet.hpp>
#include <ctxvar/fibers/scheduler.hpp>

#include <boost/fiber/all.hpp>
#include <doctest/doctest.h>

#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
extern "C" int __asan_option_detect_stack_use_after_return; // ASan's runtime switch
#endif

#include <algorithm>
#include <any>
#include <atomic>
#include <barrier>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace bf = boost::fibers;
using ctxvar::fibers::Greenlet;
using ctxvar::fibers::make_fiber;
using fibers_test::in_child_process;
using fibers_test::on_fiber_thread;
using fibers_test::to_parent;

namespace {

ctxvar::ContextVar<int> number("migration_number", -1);
ctxvar::ContextVar<std::string> label("migration_label", "-");
ctxvar::ContextVar<int> fresh("migration_fresh", -1);

// Counts its live objects: a context that holds one releases it when the count drops.
struct Counted {
    static inline std::atomic<int> live{0};
    Counted() { ++live; }
    Counted(const Counted&) { ++live; }
    ~Counted() { --live; }
};
ctxvar::ContextVar<std::shared_ptr<Counted>> held("migration_held");

#if defined(__SANITIZE_ADDRESS__)
constexpr bool under_asan = true;
#else
constexpr bool under_asan = false;
#endif

// AddressSanitizer and Boost.Fiber. Debian's Boost.Fiber switches stacks without telling ASan
// (DESIGN.md, "Sanitizers and switches"), which breaks two things here:
// - An exception thrown and caught on a Boost fiber's stack: ASan's __asan_handle_no_return
//   finds the stack pointer outside the stack it knows ("ASan is ignoring requested
//   __asan_handle_no_return"), the unwound frames stay poisoned, and a later call reports
//   stack-buffer-overflow or stack-use-after-scope. A plain Boost.Fiber program without ctxvar
//   does the same. Once greenlets have switched inside Boost fibers, the same goes for the
//   thread's main context: ctxvar's annotations then hand ASan stack bounds that Boost's
//   switches have made wrong. So under ASan the tests throw only outside Boost fibers, before
//   any greenlet switch on the thread, and say so.
// - detect_stack_use_after_return=1 puts frames on a per-thread fake stack, which the
//   unannotated switches break. Fibers that migrate: Boost.Fiber 1.81 alone crashes (see
//   fiber_primitives_test.cpp), and the pools here lost a forked child to a SEGV once in about
//   400 runs. Greenlets inside Boost fibers, even on one thread: ctxvar's greenlet switches are
//   annotated and save and restore the fake stack for each greenlet, the Boost switches between
//   them hand one fake stack to two flows (after a migration, to two threads), and a local of a
//   suspended flow is overwritten (SEGV) in every run. So the pools' children, and the test of
//   greenlets in fibers for its duration, turn the option off, and say so.
constexpr bool throws_in_fibers_excluded = under_asan;

bool fake_stacks_on() noexcept {
#if defined(__SANITIZE_ADDRESS__)
    return __asan_option_detect_stack_use_after_return != 0;
#else
    return false;
#endif
}

// Turns ASan's fake stacks off for its lifetime (frames already on a fake stack stay valid:
// instrumented code checks the option as each function starts).
class FakeStacksOff {
  public:
    FakeStacksOff() noexcept {
#if defined(__SANITIZE_ADDRESS__)
        __asan_option_detect_stack_use_after_return = 0;
#endif
    }
    ~FakeStacksOff() {
#if defined(__SANITIZE_ADDRESS__)
        __asan_option_detect_stack_use_after_return = was_;
#endif
    }
    FakeStacksOff(const FakeStacksOff&) = delete;
    FakeStacksOff& operator=(const FakeStacksOff&) = delete;

  private:
#if defined(__SANITIZE_ADDRESS__)
    int was_ = __asan_option_detect_stack_use_after_return;
#endif
};

// Printed by each test that turns fake stacks off, in a build and run that has them on.
void note_fake_stacks_off(const char* where) {
    if (fake_stacks_on()) {
        MESSAGE("ASan's detect_stack_use_after_return is off in "
                << std::string(where)
                << ": Boost.Fiber's unannotated switches break ASan's fake stacks when fibers "
                   "migrate or switch inside greenlets (SEGV)");
    }
}

// --- Forked children and their findings --------------------------------------------------------

// An object in memory shared with the forked children (MAP_SHARED): what a child writes there,
// its parent reads after waitpid. T holds lock-free atomics and plain data only.
template <class T>
class SharedWithChild {
  public:
    SharedWithChild() {
        void* memory =
            ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        REQUIRE(memory != MAP_FAILED);
        object_ = new (memory) T();
    }
    ~SharedWithChild() {
        object_->~T();
        ::munmap(object_, sizeof(T));
    }
    SharedWithChild(const SharedWithChild&) = delete;
    SharedWithChild& operator=(const SharedWithChild&) = delete;
    T* operator->() const noexcept { return object_; }
    T& operator*() const noexcept { return *object_; }

  private:
    T* object_;
};

// What a child saw. Every counter of something wrong must end at zero.
struct Findings {
    std::atomic<long> mismatches{0};         // a fiber read a value that was not its own
    std::atomic<long> inherit_mismatches{0}; // a new fiber's start was not its creator's copy
    std::atomic<long> main_mismatches{0};    // a pool thread's main context lost its value
    std::atomic<long> checks{0};             // reads checked after a switch
    std::atomic<long> switches{0};           // switches made
    std::atomic<long> thread_changes{0};     // switches after which the fiber ran elsewhere
    std::atomic<long> fibers_done{0};        // fibers that ran to their end
    std::atomic<long> forced{0};             // fibers pushed to another thread that moved
    std::atomic<long> on_threads[5] = {};    // fibers by the number of threads they ran on
    std::atomic<long> live_after{-1};        // Counted objects alive once the pool is gone
    std::atomic<long> millis{0};             // the pool's wall-clock time
    std::atomic<bool> noted{false};
    char first_failure[512] = {};

    long migrated_fibers() const {
        return on_threads[2].load() + on_threads[3].load() + on_threads[4].load();
    }

    // Keeps the first failure's description (the parent prints it).
    [[gnu::format(printf, 2, 3)]] void note(const char* format, ...) {
        if (noted.exchange(true)) {
            return;
        }
        va_list args;
        va_start(args, format);
        std::vsnprintf(first_failure, sizeof first_failure, format, args);
        va_end(args);
    }
};

// --- Which pool thread runs the caller ----------------------------------------------------------

thread_local int pool_thread_index = 0;

int read_pool_thread_index() noexcept {
    return pool_thread_index;
}
// Called through a volatile pointer, which the optimiser cannot see through: a plain
// thread_local read in a fiber's function could itself be reused across a switch (the very
// hazard of the TLS test), and pthread_self() (so std::this_thread::get_id()) is declared
// __attribute__((const)), which lets GCC reuse it across a switch too.
int (*volatile pool_thread_index_reader)() noexcept = &read_pool_thread_index;

int this_pool_thread() {
    return pool_thread_index_reader();
}

// Tracks the threads one fiber runs on.
class ThreadTrail {
  public:
    ThreadTrail() : thread_(this_pool_thread()), seen_(1u << thread_) {}

    // After a switch: whether the fiber now runs on another thread than before it.
    bool after_switch(Findings& findings) {
        const int now = this_pool_thread();
        const bool moved = now != thread_;
        thread_ = now;
        seen_ |= 1u << now;
        findings.switches.fetch_add(1, std::memory_order_relaxed);
        if (moved) {
            findings.thread_changes.fetch_add(1, std::memory_order_relaxed);
        }
        return moved;
    }
    void finish(Findings& findings) const {
        findings.on_threads[std::popcount(seen_)].fetch_add(1, std::memory_order_relaxed);
        findings.fibers_done.fetch_add(1, std::memory_order_relaxed);
    }

  private:
    int thread_;
    unsigned seen_;
};

// --- A work_stealing pool with the context scheduler ----------------------------------------

// A pool of `threads` threads, each with ContextScheduler<work_stealing>(threads, true) (idle
// threads sleep: the machine may have fewer cores than threads). As in Boost's
// examples/work_stealing.cpp, every thread installs its scheduler before any steals (a thief
// reads every thread's algorithm), thread 0 launches the fibers, and every thread's main
// context waits on a fiber condition variable until they are all done. It waits with a timeout
// of 1 ms, again and again: Boost's work_stealing wakes a sleeping thread only for a fiber that
// another thread readies for it, so without a timer an idle thread would sleep through all the
// stealing it could do.
//
// Each thread's main context sets a value of its own first and checks it once the fibers are
// done; launch() runs in a copy of thread 0's context, so what it sets is what its fibers
// inherit and the main context's own value stays.
class Pool {
  public:
    Pool(int threads, Findings& findings) : threads_(threads), findings_(findings) {}

    // Call it in a forked child: it turns ASan's fake stacks off for good (see above).
    template <class Launch>
    void run(Launch launch) {
        const FakeStacksOff fake_stacks_off;
        const auto start = std::chrono::steady_clock::now();
        std::barrier installed(threads_);
        std::vector<std::thread> workers;
        for (int index = 0; index < threads_; ++index) {
            workers.emplace_back([this, index, &installed, &launch] {
                pool_thread_index = index;
                ctxvar::fibers::use_context_scheduler<bf::algo::work_stealing>(threads_, true);
                installed.arrive_and_wait();
                const int own = 1000 + index;
                number.set(own);
                if (index == 0) {
                    ctxvar::copy_context().run([&] { launch(*this); });
                    std::lock_guard lock(mutex_);
                    launched_ = true;
                    done_.notify_all();
                }
                wait_until_done();
                if (number.get() != own) {
                    findings_.main_mismatches.fetch_add(1);
                    findings_.note("thread %d's main context reads %d after its fibers, not %d",
                                   index, number.get(), own);
                }
            });
        }
        for (std::thread& worker : workers) {
            worker.join();
        }
        findings_.live_after = Counted::live.load();
        findings_.millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count();
    }

    // A detached fiber running fn(), counted until it ends: a boost::fibers::fiber, or with
    // `start` a make_fiber fiber. From any fiber or main context of the pool.
    template <class Fn>
    void spawn(bf::launch policy, Fn fn) {
        counted();
        bf::fiber(policy, [this, fn = std::move(fn)]() mutable {
            fn();
            finished();
        }).detach();
    }
    template <class Fn>
    void spawn(bf::launch policy, ctxvar::fibers::FiberStart start, Fn fn) {
        counted();
        make_fiber(policy, std::move(start), [this, fn = std::move(fn)]() mutable {
            fn();
            finished();
        }).detach();
    }

    Findings& findings() const noexcept { return findings_; }
    bf::mutex& movers() noexcept { return movers_; }

  private:
    void counted() {
        std::lock_guard lock(mutex_);
        ++remaining_;
    }
    void finished() {
        std::lock_guard lock(mutex_);
        if (--remaining_ == 0) {
            done_.notify_all();
        }
    }
    void wait_until_done() {
        std::unique_lock lock(mutex_);
        while (!done_.wait_for(lock, std::chrono::milliseconds(1),
                               [this] { return launched_ && remaining_ == 0; })) {
        }
    }

    const int threads_;
    Findings& findings_;
    bf::mutex mutex_;
    bf::condition_variable done_;
    bf::mutex movers_; // move_to_another_thread: one fiber at a time
    int remaining_ = 0;
    bool launched_ = false;
};

// Pushes the calling fiber towards another thread: a blocker fiber posted to this thread holds
// it in an OS sleep while the caller waits in its ready queue, where an idle thread (they wake
// every millisecond) steals it. Left to themselves, fibers migrate only when some thread runs
// dry at the right moment, which may never happen in a short run.
void offer_to_thieves(Pool& pool) {
    pool.spawn(bf::launch::post, [] { std::this_thread::sleep_for(std::chrono::milliseconds(2)); });
}

// Offers the calling fiber to the other threads until it runs on another one (or `patience`
// runs out): whether it moved. One fiber at a time: two fibers offering themselves on two
// threads at once keep both threads busy, and neither is stolen.
bool move_to_another_thread(Pool& pool, std::chrono::seconds patience = std::chrono::seconds(10)) {
    std::unique_lock one_at_a_time(pool.movers()); // a fiber mutex: unlocked wherever it moved
    const int start = this_pool_thread();
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (this_pool_thread() == start && std::chrono::steady_clock::now() < deadline) {
        offer_to_thieves(pool);
        boost::this_fiber::yield();
    }
    return this_pool_thread() != start;
}

// Checks one fiber's values after a switch.
struct Own {
    int number;
    std::string label;

    void check(Findings& findings, const char* where, int round) const {
        findings.checks.fetch_add(1, std::memory_order_relaxed);
        const int seen_number = ::number.get();
        const std::string& seen_label = ::label.get();
        if (seen_number != number || seen_label != label) {
            findings.mismatches.fetch_add(1);
            findings.note("%s, round %d, on thread %d: read %d and \"%s\", its own are %d and "
                          "\"%s\"",
                          where, round, this_pool_thread(), seen_number, seen_label.c_str(), number,
                          label.c_str());
        }
    }
};

void check_inherited(Findings& findings, const Own& expected, const char* who) {
    if (::number.get() != expected.number || ::label.get() != expected.label) {
        findings.inherit_mismatches.fetch_add(1);
        findings.note("%s starts with %d and \"%s\", its creator had %d and \"%s\"", who,
                      ::number.get(), ::label.get().c_str(), expected.number,
                      expected.label.c_str());
    }
}

// Checks that a child exited normally, and prints its first failure if it noted one.
void check_child(int status, const Findings& findings) {
    note_fake_stacks_off("the pool's forked child");
    if (findings.noted) {
        MESSAGE("first failure: " << findings.first_failure);
    }
    CHECK(status == 0);
}

// Prints what a pool's fibers did, and checks the child.
void report(const char* what, int status, const Findings& findings) {
    MESSAGE(std::string(what)
            << ": " << findings.fibers_done.load() << " fibers in " << findings.millis.load()
            << " ms, " << findings.switches.load() << " switches, "
            << findings.thread_changes.load() << " of them to another thread, "
            << findings.checks.load() << " checked reads; fibers by threads run on: 1: "
            << findings.on_threads[1].load() << ", 2: " << findings.on_threads[2].load()
            << ", 3: " << findings.on_threads[3].load() << ", 4: " << findings.on_threads[4].load()
            << "; pushed to another thread and moved: " << findings.forced.load());
    check_child(status, findings);
}

// --- Test 1: migrating fibers, the copies they start with, their children --------------------

// One fiber of the migration test: 60 switches, checking its values after each, a child fiber
// made after it may have migrated (launch::post or dispatch, boost::fibers::fiber or make_fiber),
// and (some fibers) a make_fiber child in a given Context, joined across threads.
void migrating_fiber(Pool& pool, int id, const Own& inherited) {
    Findings& findings = pool.findings();
    check_inherited(findings, inherited, "a fiber launched by thread 0");
    Own own{id, "migrating fiber #" + std::to_string(id)};
    number.set(own.number);
    label.set(own.label);
    held.set(std::make_shared<Counted>());
    ThreadTrail trail;
    for (int round = 0; round < 60; ++round) {
        if (round % 10 == 9) {
            boost::this_fiber::sleep_for(std::chrono::microseconds(50));
        } else {
            boost::this_fiber::yield();
        }
        trail.after_switch(findings);
        own.check(findings, "a migrating fiber", round);
        if (round == 20 && id % 8 == 1) {
            if (move_to_another_thread(pool)) {
                findings.forced.fetch_add(1);
            }
            trail.after_switch(findings);
            own.check(findings, "a migrating fiber pushed to another thread", round);
        }
        if (round == 30) {
            // A child made here starts in a copy of this fiber's context as it is now, on
            // whatever thread this fiber runs on; the sets after its creation are the parent's.
            const Own parent = own;
            auto child = [&pool, parent, id] {
                Findings& findings = pool.findings();
                check_inherited(findings, parent, "a child of a migrating fiber");
                Own own{-id, "child of #" + std::to_string(id)};
                number.set(own.number);
                label.set(own.label);
                held.set(std::make_shared<Counted>());
                ThreadTrail trail;
                for (int round = 0; round < 20; ++round) {
                    boost::this_fiber::yield();
                    trail.after_switch(findings);
                    own.check(findings, "a child of a migrating fiber", round);
                }
                trail.finish(findings);
            };
            const bf::launch policy = id % 2 == 0 ? bf::launch::post : bf::launch::dispatch;
            if (id % 3 == 0) {
                pool.spawn(policy, ctxvar::fibers::inherit_context, child);
            } else {
                pool.spawn(policy, child);
            }
            own.label += " (after its child)";
            label.set(own.label);
            own.check(findings, "a migrating fiber after making a child", round);
        }
        if (round == 40 && id % 8 == 0) {
            // A make_fiber fiber in a given Context, which it enters for its life: its sets
            // land there, whichever thread it runs on; this fiber joins it (a blocking wait
            // that another thread may end).
            ctxvar::Context given;
            given.run([id] { number.set(100000 + id); });
            bf::fiber in_given = make_fiber(
                id % 16 == 0 ? bf::launch::post : bf::launch::dispatch, given, [&findings, id] {
                    for (int round = 0; round < 10; ++round) {
                        boost::this_fiber::yield();
                        findings.checks.fetch_add(1, std::memory_order_relaxed);
                        if (number.get() != 100000 + id + round) {
                            findings.mismatches.fetch_add(1);
                            findings.note("a fiber in a given Context reads %d, not %d",
                                          number.get(), 100000 + id + round);
                        }
                        number.set(100000 + id + round + 1);
                    }
                });
            in_given.join();
            trail.after_switch(findings);
            own.check(findings, "a migrating fiber after joining", round);
            findings.checks.fetch_add(1, std::memory_order_relaxed);
            if (given.at(number) != 100000 + id + 10) {
                findings.mismatches.fetch_add(1);
                findings.note("the given Context holds %d after its fiber, not %d",
                              given.at(number), 100000 + id + 10);
            }
        }
    }
    trail.finish(findings);
}

int migration_child(int threads, Findings& findings) {
    constexpr int fibers = 64;
    Pool pool(threads, findings);
    pool.run([](Pool& pool) {
        const Own launcher{7, "set by the launcher"};
        number.set(launcher.number);
        label.set(launcher.label);
        for (int id = 1; id <= fibers; ++id) {
            const bf::launch policy = id % 2 == 0 ? bf::launch::post : bf::launch::dispatch;
            auto fiber = [&pool, id, launcher] { migrating_fiber(pool, id, launcher); };
            if (id % 3 == 0) {
                pool.spawn(policy, ctxvar::fibers::inherit_context, fiber);
            } else {
                pool.spawn(policy, fiber);
            }
        }
    });
    return 0;
}

// --- Test 2: the stress ------------------------------------------------------------------------

// 4 threads x 1,000 fibers x 100 rounds, in every build: measured on 2 cores, the stress takes
// about 0.1 s at -O2 and 0.2 s under AddressSanitizer + UBSan, so nothing is scaled down.
constexpr int stress_threads = 4;
constexpr int stress_fibers = 1000;
constexpr int stress_rounds = 100;
constexpr int stress_locks = 16;

// A fiber of the stress: its own number, label and a fresh value every round, checked after
// every switch. Every fourth switch is a blocking one: a fiber mutex shared with other fibers
// (any thread's), held across a yield, so fibers wait for each other and are woken by fibers
// of other threads.
void stress_fiber(Pool& pool, int id, Findings& findings, bf::mutex* locks) {
    const Own own{id, "stress fiber number " + std::to_string(id)};
    number.set(own.number);
    label.set(own.label);
    ThreadTrail trail;
    auto check = [&](const char* where, int round) {
        own.check(findings, where, round);
        if (fresh.get() != round) {
            findings.mismatches.fetch_add(1);
            findings.note("%s, round %d: fresh reads %d", where, round, fresh.get());
        }
    };
    for (int round = 0; round < stress_rounds; ++round) {
        fresh.set(round); // a new value before every switch
        if (round == stress_rounds / 2 && id % 100 == 0) {
            // A few are pushed to another thread, so that migration happens in any run.
            if (move_to_another_thread(pool)) {
                findings.forced.fetch_add(1);
            }
            trail.after_switch(findings);
            check("a stress fiber pushed to another thread", round);
        } else if (round % 10 == 5) {
            boost::this_fiber::sleep_for(std::chrono::microseconds(20));
            trail.after_switch(findings);
            check("a stress fiber after a sleep", round);
        } else if (round % 4 == 3) {
            std::unique_lock lock(locks[id % stress_locks]);
            trail.after_switch(findings); // the lock may have waited
            check("a stress fiber in a lock", round);
            boost::this_fiber::yield();
            trail.after_switch(findings);
            check("a stress fiber yielding in a lock", round);
        } else {
            boost::this_fiber::yield();
            trail.after_switch(findings);
            check("a stress fiber", round);
        }
        number.set(own.number); // a new object after every switch, the same value
    }
    trail.finish(findings);
}

int stress_child(Findings& findings) {
    auto locks = std::make_unique<bf::mutex[]>(stress_locks);
    Pool pool(stress_threads, findings);
    pool.run([&](Pool& pool) {
        for (int id = 0; id < stress_fibers; ++id) {
            pool.spawn(bf::launch::post, [&pool, id, &findings, &locks] {
                stress_fiber(pool, id, findings, locks.get());
            });
        }
    });
    return 0;
}

// --- Test 3: the TLS-address-caching trap -------------------------------------------------------

// Reads of one variable right before and after a call that switches fibers, in one function,
// with get() inlined into it (ContextVar's accessors are header templates), in fibers that
// migrate: the shape in which an optimiser may compute a thread-local's address once and reuse
// it after the call, since nothing in C++ says that the thread changes across a call. It does
// happen: a scratch program built with GCC 12 -O2 -fPIC (a thread_local of the global-dynamic
// model) keeps __tls_get_addr's result in a register across boost::this_fiber::yield(), and
// every migration then read the old thread's slot. ctxvar's accessor
// (include/ctxvar/detail/context_data.hpp) is a volatile asm with a memory clobber, so every
// get() re-reads the thread pointer. A read that went to the old thread's slot would find the
// context of whatever runs there now, another fiber's (another number) or the dispatcher's
// (-1), and count as a mismatch here; so does a hand-over that does not follow the fiber.
//
// The trap needs the optimiser: the test build compiles this file with -O2 (meson's
// optimization=2; see compile_commands.json), and a build without optimisation says so when it
// runs this test. Its reach, measured: GCC 12 re-reads %fs for the initial-exec and local-exec
// accesses of a PIE executable such as this one, and reuses a global-dynamic address only in
// straight-line code, which the branches of get() interrupt. So with a plain C++ thread_local
// access put in place of the asm (scratch builds, with and without -fPIC), GCC 12 generated
// correct code and this test passed: it catches an accessor whose address the compiler does
// reuse (another compiler, another code model), not every accessor that would allow it.
struct TrapResult {
    long mismatches = 0;
    long moves = 0;
    unsigned threads_seen = 0;
};

[[gnu::noinline]] TrapResult read_around_yields(Pool& pool, int mine, int rounds, bool push) {
    TrapResult result;
    long sum = 0;
    int thread = this_pool_thread();
    result.threads_seen = 1u << thread;
    for (int round = 0; round < rounds; ++round) {
        sum += number.get(); // the slot's address is computed here...
        if (push && round % 50 == 25) {
            offer_to_thieves(pool); // a blocker holds this thread over the yield below
        }
        if (round % 10 == 9) {
            // ...the fiber may resume on another thread (a sleep leaves the ready queues, so
            // that threads run dry and steal more often)...
            boost::this_fiber::sleep_for(std::chrono::microseconds(20));
        } else {
            boost::this_fiber::yield();
        }
        result.mismatches += number.get() != mine; // ...where it must be computed anew
        const int* seen = number.get_if();
        result.mismatches += seen == nullptr || *seen != mine;
        result.mismatches += number.get_or(-2) != mine;
        const int now = this_pool_thread();
        result.moves += now != thread;
        result.threads_seen |= 1u << now;
        thread = now;
    }
    result.mismatches += sum != static_cast<long>(mine) * rounds;
    return result;
}

constexpr int trap_fibers = 200;
constexpr int trap_rounds = 200;

int trap_child(Findings& findings) {
    Pool pool(4, findings);
    pool.run([](Pool& pool) {
        for (int id = 1; id <= trap_fibers; ++id) {
            pool.spawn(bf::launch::post, [&pool, id] {
                Findings& findings = pool.findings();
                number.set(id);
                const TrapResult result = read_around_yields(pool, id, trap_rounds, id % 10 == 0);
                findings.checks.fetch_add(3L * trap_rounds, std::memory_order_relaxed);
                findings.switches.fetch_add(trap_rounds, std::memory_order_relaxed);
                findings.thread_changes.fetch_add(result.moves, std::memory_order_relaxed);
                findings.on_threads[std::popcount(result.threads_seen)].fetch_add(1);
                findings.fibers_done.fetch_add(1);
                if (result.mismatches != 0) {
                    findings.mismatches.fetch_add(result.mismatches);
                    findings.note("fiber %d read another context %ld times around yields "
                                  "(%ld moves)",
                                  id, result.mismatches, result.moves);
                }
            });
        }
    });
    return 0;
}

// --- Test 4: a user's scheduler with properties ----------------------------------------------

// A fiber's priority, in the properties that ctxvar's scheduler needs (ContextProperties).
class PriorityProps : public ctxvar::fibers::ContextProperties {
  public:
    explicit PriorityProps(bf::context* ctx) noexcept : ContextProperties(ctx) {}

    int priority() const noexcept { return priority_; }
    void set_priority(int priority) noexcept {
        if (priority != priority_) {
            priority_ = priority;
            notify(); // the algorithm's property_change, when the fiber is ready
        }
    }

    bool made_without_context = false; // by new_properties(nullptr): for make_fiber

  private:
    int priority_ = 0;
};

// Runs the ready fiber of highest priority (first come first among equals); a change of
// priority re-sorts a ready fiber (property_change). One thread.
class PriorityScheduler : public bf::algo::algorithm_with_properties<PriorityProps> {
  public:
    static inline std::atomic<int> made_without_context{0};

    void awakened(bf::context* ctx, PriorityProps& properties) noexcept override {
        const int priority = properties.priority();
        auto position = std::find_if(ready_.begin(), ready_.end(), [&](bf::context& ready) {
            return this->properties(&ready).priority() < priority;
        });
        ready_.insert(position, *ctx);
    }
    bf::context* pick_next() noexcept override {
        if (ready_.empty()) {
            return nullptr;
        }
        bf::context* next = &ready_.front();
        ready_.pop_front();
        return next;
    }
    bool has_ready_fibers() const noexcept override { return !ready_.empty(); }
    void property_change(bf::context* ctx, PriorityProps& properties) noexcept override {
        if (!ctx->ready_is_linked()) {
            return; // running or blocked: sorted when it is ready again
        }
        ctx->ready_unlink();
        awakened(ctx, properties);
    }
    bf::fiber_properties* new_properties(bf::context* ctx) override {
        auto* properties = new PriorityProps(ctx);
        if (ctx == nullptr) {
            properties->made_without_context = true;
            ++made_without_context;
        }
        return properties;
    }
    void suspend_until(std::chrono::steady_clock::time_point const& until) noexcept override {
        std::unique_lock lock(mutex_);
        if (until == std::chrono::steady_clock::time_point::max()) {
            wake_.wait(lock, [this] { return notified_; });
        } else {
            wake_.wait_until(lock, until, [this] { return notified_; });
        }
        notified_ = false;
    }
    void notify() noexcept override {
        {
            std::lock_guard lock(mutex_);
            notified_ = true;
        }
        wake_.notify_all();
    }

  private:
    bf::scheduler::ready_queue_type ready_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool notified_ = false;
};

std::string joined(const std::vector<std::string>& names) {
    std::string all;
    for (const std::string& name : names) {
        all += (all.empty() ? "" : " ") + name;
    }
    return all;
}

constexpr bf::launch both_policies[] = {bf::launch::post, bf::launch::dispatch};

const char* name_of(bf::launch policy) {
    return policy == bf::launch::post ? "launch::post" : "launch::dispatch";
}

// --- Test 5: greenlets inside fibers -------------------------------------------------------------

// Sets a flag when destroyed: a greenlet's RAII, run when the greenlet is killed. It records
// the value the greenlet's context has then, and the pool thread it runs on.
struct Unwound {
    std::atomic<bool>* ran;
    std::atomic<int>* value_seen;
    std::atomic<int>* thread_seen = nullptr;
    ~Unwound() {
        value_seen->store(number.get());
        if (thread_seen != nullptr) {
            thread_seen->store(this_pool_thread());
        }
        ran->store(true);
    }
};

// What the greenlets-with-migration child found.
struct GreenletFindings {
    Findings findings;
    std::atomic<bool> greenlet_migrated{false};
    std::atomic<int> greenlet_thread_before{-1};
    std::atomic<int> greenlet_thread_after{-1};
    std::atomic<int> parent_thread_after{-1};
    std::atomic<bool> parent_sees_own{false};
    std::atomic<bool> parent_is_current{false};
    std::atomic<bool> greenlet_finished{false};
    std::atomic<bool> unwound{false};
    std::atomic<int> unwound_value{0};
    std::atomic<int> unwound_thread{-1};
    std::atomic<int> doomed_thread{-1};
    std::atomic<int> fiber_end_thread{-1};
    std::atomic<bool> moved_before_end{false};
    std::atomic<bool> doomed_dead_after{false};
};

} // namespace

TEST_SUITE("boost_fiber") {

    BOOST_FIBER_TEST_CASE("work_stealing (2 and 4 threads): migrating fibers keep their context") {
        // 64 fibers launched by thread 0 (post and dispatch, boost::fibers::fiber and
        // make_fiber), each checking its own number and label after each of 60 switches
        // (yields and sleeps), making a child mid-way (which must start in a copy of the
        // parent's context as it is then, on whatever thread), some joining a make_fiber child
        // in a given Context. The fibers must have migrated, the pool threads' main contexts
        // kept their own values, and every finished fiber released its context, wherever it
        // ended.
        for (int threads : {2, 4}) {
            CAPTURE(threads);
            SharedWithChild<Findings> findings;
            const int status =
                in_child_process([&] { return migration_child(threads, *findings); });
            report(threads == 2 ? "2 threads" : "4 threads", status, *findings);
            CHECK(findings->mismatches.load() == 0);
            CHECK(findings->inherit_mismatches.load() == 0);
            CHECK(findings->main_mismatches.load() == 0);
            CHECK(findings->fibers_done.load() == 128); // 64 fibers and their children
            CHECK(findings->forced.load() == 8);        // the 8 pushed to another thread moved
            CHECK(findings->migrated_fibers() > 0);
            CHECK(findings->live_after.load() == 0);
        }
    }

    BOOST_FIBER_TEST_CASE("work_stealing stress: 4 threads x 1,000 fibers x 100 switches") {
        // Each fiber sets its own number, label and a fresh value every round, and checks them
        // after every switch: yields, and every fourth round a fiber mutex that other threads'
        // fibers hold across a yield. Zero mismatches, and some fibers must have run on more
        // than one thread (else migration went untested).
        SharedWithChild<Findings> findings;
        const int status = in_child_process([&] { return stress_child(*findings); });
        report("stress (4 threads x 1000 fibers x 100 rounds)", status, *findings);
        CHECK(findings->fibers_done.load() == stress_fibers);
        CHECK(findings->mismatches.load() == 0);
        CHECK(findings->main_mismatches.load() == 0);
        CHECK(findings->checks.load() >= static_cast<long>(stress_fibers) * stress_rounds);
        CHECK(findings->migrated_fibers() > 0);
        CHECK(findings->thread_changes.load() > 0);
    }

    BOOST_FIBER_TEST_CASE("TLS address caching: reads around a yield in migrating fibers at -O2") {
#if !defined(__OPTIMIZE__)
        MESSAGE("this build does not optimise: the TLS-address-caching trap cannot spring here");
#endif
        SharedWithChild<Findings> findings;
        const int status = in_child_process([&] { return trap_child(*findings); });
        report("TLS trap (4 threads)", status, *findings);
        CHECK(findings->fibers_done.load() == trap_fibers);
        CHECK(findings->mismatches.load() == 0);
        CHECK(findings->thread_changes.load() > 0); // reads after a migration were made
    }

    BOOST_FIBER_TEST_CASE("a user's algorithm_with_properties<P>: its priority order, a context "
                          "per fiber") {
        // P derives from ContextProperties. Priorities are set from outside while a fiber is
        // ready (property_change re-sorts it) and by a fiber itself through
        // this_fiber::properties<P>() (sorted at its next yield).
        on_fiber_thread<PriorityScheduler>([] {
            struct Plan {
                const char* name;
                int priority;
                bool climbs; // sets itself to 5 at its first step
            };
            const Plan plans[] = {
                {"A", 1, false}, {"B", 3, false}, {"C", 2, false}, {"D", 2, true}};
            std::vector<std::string> order;
            int mismatches = 0;
            int inherit_mismatches = 0;
            std::vector<bf::fiber> fibers;
            for (int i = 0; i < 4; ++i) {
                number.set(10 + i); // each fiber's copy is taken at its creation
                const Plan plan = plans[i];
                fibers.emplace_back([&, i, plan] {
                    inherit_mismatches += number.get() != 10 + i;
                    number.set(100 + i);
                    label.set(plan.name);
                    for (int step = 1; step <= 3; ++step) {
                        order.push_back(plan.name + std::to_string(step));
                        if (plan.climbs && step == 1) {
                            boost::this_fiber::properties<PriorityProps>().set_priority(5);
                        }
                        boost::this_fiber::yield();
                        mismatches += number.get() != 100 + i || label.get() != plan.name;
                    }
                });
                fibers.back().properties<PriorityProps>().set_priority(plan.priority);
            }
            number.set(-7);
            for (bf::fiber& fiber : fibers) {
                fiber.join();
            }
            // Boost's own order for this algorithm (the same scheduler without ctxvar, under
            // boost::fibers::use_scheduling_algorithm, gives it): a yield picks the next fiber
            // before the yielding one is queued again (scheduler::yield), so a yield lends one
            // turn to the best other ready fiber. B (3) and C (2) alternate, D climbs to 5 at D1
            // and then alternates with B; A (1) runs last. Round robin, priorities that never
            // reach the algorithm, a lost property_change or a lost climb each give another order.
            const std::vector<std::string> expected = {"B1", "C1", "B2", "D1", "B3", "D2",
                                                       "D3", "C2", "C3", "A1", "A2", "A3"};
            CHECK(joined(order) == joined(expected));
            CHECK(mismatches == 0);
            CHECK(inherit_mismatches == 0);
            CHECK(number.get() == -7);
        });
    }

    BOOST_FIBER_TEST_CASE("a user's algorithm_with_properties<P>: copies under post and "
                          "dispatch, make_fiber takes P from new_properties(nullptr)") {
        on_fiber_thread<PriorityScheduler>([] {
            for (bf::launch policy : both_policies) {
                for (bool made : {false, true}) {
                    CAPTURE(name_of(policy));
                    CAPTURE(made);
                    auto spawn = [policy, made](auto fn) {
                        return made ? make_fiber(policy, ctxvar::fibers::inherit_context, fn)
                                    : bf::fiber(policy, fn);
                    };
                    const int made_before = PriorityScheduler::made_without_context;
                    number.set(1);
                    int seen_at_start = 0;
                    int grandchild_saw = 0;
                    int mismatches = 0;
                    bf::fiber child = spawn([&] {
                        seen_at_start = number.get();
                        number.set(2);
                        bf::fiber grandchild = spawn([&] {
                            grandchild_saw = number.get();
                            number.set(3);
                            for (int round = 0; round < 3; ++round) {
                                boost::this_fiber::yield();
                                mismatches += number.get() != 3;
                            }
                        });
                        number.set(20); // after the creation: the grandchild's is 2
                        for (int round = 0; round < 3; ++round) {
                            boost::this_fiber::yield();
                            mismatches += number.get() != 20;
                        }
                        grandchild.join();
                        mismatches += number.get() != 20;
                    });
                    number.set(4); // after the creation: invisible to the child
                    CHECK(child.properties<PriorityProps>().made_without_context == made);
                    child.join();
                    CHECK(seen_at_start == 1);
                    CHECK(grandchild_saw == 2);
                    CHECK(mismatches == 0);
                    CHECK(number.get() == 4);
                    CHECK(PriorityScheduler::made_without_context - made_before == (made ? 2 : 0));
                }
            }

            // make_fiber's properties are the ones the algorithm sorts by: created low, high,
            // middle, they run high, middle, low, each in its own context.
            std::vector<std::string> order;
            number.set(0);
            std::vector<bf::fiber> fibers;
            const std::pair<const char*, int> plans[] = {{"low", 1}, {"high", 3}, {"middle", 2}};
            for (const auto& [name, priority] : plans) {
                const std::string own = name;
                const int value = priority;
                fibers.push_back(make_fiber(ctxvar::fibers::inherit_context, [&order, own, value] {
                    order.push_back(own + ":" + std::to_string(number.get()));
                    number.set(value);
                    order.push_back(own + ":" + std::to_string(number.get()));
                }));
                fibers.back().properties<PriorityProps>().set_priority(priority);
            }
            number.set(-1);
            for (bf::fiber& fiber : fibers) {
                fiber.join();
            }
            const std::vector<std::string> expected = {"high:0",   "high:3", "middle:0",
                                                       "middle:2", "low:0",  "low:1"};
            CHECK(joined(order) == joined(expected));
            CHECK(number.get() == -1);
        });
    }

    BOOST_FIBER_TEST_CASE("greenlets in two fibers of one thread interleave, each fiber's own") {
        // Each fiber runs a greenlet that yields the Boost fiber (this_fiber::yield() inside the
        // greenlet), so the two fibers' greenlets interleave. Greenlet::current() is the
        // fiber's own, each greenlet's values stay its own, and a greenlet of one fiber cannot
        // be switched to (nor become a parent) from the other fiber, nor from the thread's main
        // context, a third flow with greenlets of its own. The main context tries before any
        // greenlet has run (see throws_in_fibers_excluded); fiber b, after.
        note_fake_stacks_off("this test");
        const FakeStacksOff fake_stacks_off;
        on_fiber_thread<bf::algo::round_robin>([] {
            std::vector<std::string> log;
            int mismatches = 0;
            std::shared_ptr<Greenlet> greenlet_of_a;
            std::shared_ptr<Greenlet> main_of_a;
            bool main_checked = false;
            bool b_checked = false;
            bool a_may_finish = false;

            auto body = [&](const std::string& name) {
                std::shared_ptr<Greenlet> main = Greenlet::current();
                CHECK(main->is_main());
                label.set(name + " main");
                Greenlet* self = nullptr;
                std::shared_ptr<Greenlet> greenlet = Greenlet::create([&](std::any) -> std::any {
                    CHECK(label.get() == "-"); // a new greenlet has no context
                    label.set(name + " greenlet");
                    for (int round = 0; round < 5; ++round) {
                        log.push_back(name + std::to_string(round));
                        boost::this_fiber::yield(); // the fiber switches inside the greenlet
                        mismatches += Greenlet::current().get() != self;
                        mismatches += label.get() != name + " greenlet";
                    }
                    return to_parent(name + " paused"); // resumed once more, to finish
                });
                self = greenlet.get();
                CHECK(greenlet->parent() == main);
                if (name == "a") {
                    greenlet_of_a = greenlet;
                    main_of_a = main;
                }
                while (!main_checked) {
                    boost::this_fiber::yield();
                }
                std::any paused = greenlet->switch_to();
                CHECK(std::any_cast<std::string>(paused) == name + " paused");
                CHECK(Greenlet::current() == main);
                CHECK(label.get() == name + " main");
                if (name == "b") {
                    REQUIRE(greenlet_of_a != nullptr);
                    CHECK(main_of_a != main);
                    if (throws_in_fibers_excluded) {
                        MESSAGE("under AddressSanitizer, fiber b does not try A's greenlets (an "
                                "exception in a Boost fiber misleads ASan): only the main "
                                "context does, before they run");
                    } else {
                        CHECK_THROWS_AS(greenlet_of_a->switch_to(), ctxvar::fibers::GreenletError);
                        CHECK_THROWS_AS(main_of_a->switch_to(), ctxvar::fibers::GreenletError);
                        CHECK_THROWS_AS(Greenlet::create([](std::any) {}, main_of_a),
                                        std::invalid_argument);
                        CHECK_THROWS_AS(greenlet->set_parent(main_of_a), std::invalid_argument);
                        CHECK(label.get() == "b main"); // nothing switched
                    }
                    b_checked = true;
                } else {
                    while (!a_may_finish) {
                        boost::this_fiber::yield();
                    }
                    CHECK(Greenlet::current() == main);
                }
                CHECK_FALSE(greenlet->switch_to().has_value());
                CHECK(greenlet->dead());
                CHECK(label.get() == name + " main");
            };
            label.set("thread");
            bf::fiber a([&] { body("a"); });
            bf::fiber b([&] { body("b"); });
            while (greenlet_of_a == nullptr) {
                boost::this_fiber::yield();
            }
            CHECK_FALSE(greenlet_of_a->started());
            CHECK_THROWS_AS(greenlet_of_a->switch_to(), ctxvar::fibers::GreenletError);
            CHECK_THROWS_AS(main_of_a->switch_to(), ctxvar::fibers::GreenletError);
            CHECK_THROWS_AS(Greenlet::create([](std::any) {}, main_of_a), std::invalid_argument);
            CHECK_FALSE(greenlet_of_a->started()); // nothing switched
            CHECK(label.get() == "thread");
            main_checked = true;
            while (!b_checked) {
                boost::this_fiber::yield();
            }
            CHECK(static_cast<bool>(*greenlet_of_a)); // started, paused inside fiber a
            a_may_finish = true;
            a.join();
            b.join();
            const std::vector<std::string> interleaved = {"a0", "b0", "a1", "b1", "a2",
                                                          "b2", "a3", "b3", "a4", "b4"};
            CHECK(joined(log) == joined(interleaved));
            CHECK(mismatches == 0);
            CHECK(label.get() == "thread");
            CHECK(Greenlet::current()->is_main());
            CHECK(Greenlet::current() != main_of_a);
        });
    }

    BOOST_FIBER_TEST_CASE("a fiber that ends kills its unfinished greenlet (RAII runs)") {
        on_fiber_thread<bf::algo::round_robin>([] {
            std::atomic<bool> unwound{false};
            std::atomic<int> value_seen{0};
            std::shared_ptr<Greenlet> kept; // a handle that outlives the fiber
            bf::fiber fiber([&] {
                number.set(1);
                kept = Greenlet::create([&](std::any) {
                    number.set(2);
                    Unwound guard{&unwound, &value_seen};
                    to_parent();
                    FAIL("a killed greenlet resumed normally");
                });
                kept->switch_to();
                CHECK(number.get() == 1);
                CHECK(static_cast<bool>(*kept));
            });
            fiber.join();
            CHECK(unwound);         // killed when the fiber finished, though a handle remains
            CHECK(value_seen == 2); // unwound in its own context
            CHECK(kept->dead());
            kept.reset();
        });
    }

    BOOST_FIBER_TEST_CASE("work_stealing: a fiber migrates inside a greenlet, which then "
                          "switches back to its parent") {
        // Two threads. The fiber starts a greenlet, which yields the Boost fiber until the pool
        // has moved it to the other thread (each time with a blocker fiber holding its thread,
        // see offer_to_thieves), then switches to its parent: the fiber's main greenlet, now on
        // that thread, with its own context. Then the fiber starts a second greenlet, leaves it
        // unfinished and ends: the greenlet is killed, on the thread where the fiber ends.
        SharedWithChild<GreenletFindings> shared;
        const int status = in_child_process([&] {
            GreenletFindings& out = *shared;
            std::shared_ptr<Greenlet> kept;
            Pool pool(2, out.findings);
            pool.run([&](Pool& pool) {
                pool.spawn(bf::launch::post, [&] {
                    number.set(1);
                    label.set("fiber");
                    const std::shared_ptr<Greenlet> main = Greenlet::current();
                    Greenlet* self = nullptr;
                    auto greenlet = Greenlet::create([&](std::any) -> std::any {
                        number.set(2);
                        label.set("greenlet");
                        const int before = this_pool_thread();
                        out.greenlet_thread_before = before;
                        const auto deadline =
                            std::chrono::steady_clock::now() + std::chrono::seconds(10);
                        while (this_pool_thread() == before &&
                               std::chrono::steady_clock::now() < deadline) {
                            offer_to_thieves(pool);
                            boost::this_fiber::yield();
                            out.findings.checks.fetch_add(1);
                            if (Greenlet::current().get() != self || number.get() != 2 ||
                                label.get() != "greenlet") {
                                out.findings.mismatches.fetch_add(1);
                                out.findings.note("a greenlet after a yield: current %s, "
                                                  "number %d, label \"%s\"",
                                                  Greenlet::current().get() == self ? "itself"
                                                                                    : "another",
                                                  number.get(), label.get().c_str());
                            }
                        }
                        out.greenlet_thread_after = this_pool_thread();
                        out.greenlet_migrated = this_pool_thread() != before;
                        std::any back = to_parent(this_pool_thread());
                        // Resumed by the parent: still its own context.
                        out.greenlet_finished = std::any_cast<int>(back) == 42 &&
                                                number.get() == 2 && label.get() == "greenlet";
                        return {};
                    });
                    self = greenlet.get();
                    const std::any thread = greenlet->switch_to();
                    out.parent_thread_after = this_pool_thread();
                    out.parent_is_current = Greenlet::current() == main &&
                                            std::any_cast<int>(thread) == this_pool_thread();
                    out.parent_sees_own = number.get() == 1 && label.get() == "fiber";
                    greenlet->switch_to(42);
                    out.greenlet_finished = out.greenlet_finished && greenlet->dead();

                    // Unfinished at the fiber's end: killed there.
                    kept = Greenlet::create([&](std::any) {
                        number.set(3);
                        Unwound guard{&out.unwound, &out.unwound_value, &out.unwound_thread};
                        out.doomed_thread = this_pool_thread();
                        to_parent();
                    });
                    kept->switch_to();
                    out.moved_before_end = move_to_another_thread(pool);
                    out.fiber_end_thread = this_pool_thread();
                });
            });
            out.doomed_dead_after = kept != nullptr && kept->dead();
            kept.reset();
            return 0;
        });
        GreenletFindings& out = *shared;
        check_child(status, out.findings);
        CHECK(out.greenlet_migrated.load());
        MESSAGE("the greenlet ran on thread "
                << out.greenlet_thread_before.load() << ", then on "
                << out.greenlet_thread_after.load() << " after " << out.findings.checks.load()
                << " yields; its parent resumed on " << out.parent_thread_after.load()
                << "; the unfinished greenlet started on " << out.doomed_thread.load()
                << " and was killed on " << out.unwound_thread.load() << " in "
                << out.findings.millis.load() << " ms");
        CHECK(out.findings.mismatches.load() == 0);
        CHECK(out.parent_is_current.load());
        CHECK(out.parent_sees_own.load());
        CHECK(out.greenlet_finished.load());
        CHECK(out.unwound.load());
        CHECK(out.unwound_value.load() == 3);
        CHECK(out.moved_before_end.load());
        CHECK(out.unwound_thread.load() == out.fiber_end_thread.load()); // where the fiber ended
        CHECK(out.unwound_thread.load() != out.doomed_thread.load());    // not where it started
        CHECK(out.doomed_dead_after.load());
        CHECK(out.findings.main_mismatches.load() == 0);
        CHECK(out.findings.live_after.load() == 0);
    }
}
