// greenlet's core behaviour ported from its tests (src/greenlet/tests/test_greenlet.py and
// test_throw.py): value passing, return to the parent, exceptions to the parent, switching to dead
// greenlets, throw_in, GreenletExit, kills when the last handle goes, parents, threads, states.
// Python's IndexError/KeyError/TypeError become std::out_of_range, KeyError and
// std::bad_any_cast; ValueError and AttributeError of the parent setter become
// std::invalid_argument; greenlet.error is GreenletError.
//
// Not ported (Python-only):
// - test_switch_no_run_raises_AttributeError, test_throw_no_run_raises_AttributeError,
//   test_run_equals_None, test_running_greenlet_has_no_run: the `run` attribute (a C++ greenlet
//   always has its function, given to create()).
// - test_switch_kwargs, test_switch_kwargs_to_parent: keyword arguments and argument packing
//   (a switch carries exactly one std::any).
// - test_instance_dict: __dict__. test_deepcopy: copy/deepcopy (here a compile-time property:
//   see "a greenlet cannot be copied").
// - test_throw_exception_not_lost, test_recursive_startup, test_unexpected_reparenting,
//   test_unexpected_reparenting_thread_running, test_abstract_subclasses, test_tuple_subclass,
//   TestMainGreenlet: subclass, __getattribute__, __len__ and ABC tricks that run Python code
//   inside a switch (the throw into an unstarted greenlet itself is ported from
//   test_throw_goes_to_original_parent).
// - test_threaded_updatecurrent, test_implicit_parent_with_threads, test_issue_245_*: __del__
//   finalizers and GC runs inside the interpreter's bookkeeping, class reference counts.
// - test_cannot_delete_parent, test_cannot_delete_parent_of_main: `del g.parent`.
// - test_set_parent_wrong_types: only the None case exists in C++ (ported as a null parent).
// - test_frame (gr_frame; its bool states are ported), test_can_access_f_back_of_suspended_
//   greenlet, test_frames_always_exposed: Python frames. test_get_stack_with_nested_c_calls is
//   ported without the frame walk.
// - TestRepr's text (the states it shows are ported), test_formatting_produces_native_str.
// - TestBrokenGreenlets: UnswitchableGreenlet and the crash scripts of the test extension
//   (test_failed_to_initialstub is ported as a stack that cannot be allocated).
// - test_throw.py test_non_traceback_param, test_instance_of_wrong_type: throw()'s argument
//   forms (test_not_throwable is ported as a null exception_ptr).
#include "to_parent.hpp"

#include <ctxvar/fibers/greenlet.hpp>
#include <ctxvar/fibers/stack.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <any>
#include <atomic>
#include <barrier>
#include <cstdio>
#include <exception>
#include <functional>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

using ctxvar::fibers::Greenlet;
using ctxvar::fibers::GreenletError;
using ctxvar::fibers::GreenletExit;
using ctxvar::fibers::PooledStackAllocator;
using fibers_test::to_parent;
using namespace std::string_literals;

namespace {

// greenlet's SomeError.
struct SomeError : std::runtime_error {
    SomeError() : std::runtime_error("SomeError") {}
};

// Python's KeyError.
struct KeyError : std::runtime_error {
    KeyError() : std::runtime_error("KeyError") {}
};

// The name of the exception `error` holds, as greenlet's tests record sys.exc_info()[0].
std::string exception_name(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const GreenletExit&) {
        return "GreenletExit";
    } catch (const SomeError&) {
        return "SomeError";
    } catch (const KeyError&) {
        return "KeyError";
    } catch (...) {
        return "unknown";
    }
}

// greenlet's fmain(seen): waits in a switch to its parent; an exception arriving there is
// recorded in seen and re-raised; a plain resumption raises SomeError.
std::any fmain(std::any value) {
    auto& seen = *std::any_cast<std::vector<std::string>*>(value);
    try {
        to_parent();
    } catch (...) {
        seen.push_back(exception_name(std::current_exception()));
        throw;
    }
    throw SomeError();
}

// greenlet's send_exception(g, exc): a greenlet whose parent is g raises exc.
void send_exception(const std::shared_ptr<Greenlet>& g, std::exception_ptr error) {
    auto crasher = Greenlet::create(
        [](std::any e) -> std::any {
            std::rethrow_exception(std::any_cast<std::exception_ptr>(e));
        },
        g);
    crasher->switch_to(std::move(error));
}

// test_greenlet.py _do_simple_test: the order 0..4 shows the resume and the return to the parent.
bool do_simple_test() {
    std::vector<int> lst;
    auto g = Greenlet::create([&](std::any) {
        lst.push_back(1);
        to_parent();
        lst.push_back(3);
    });
    lst.push_back(0);
    g->switch_to();
    lst.push_back(2);
    g->switch_to();
    lst.push_back(4);
    return lst == std::vector<int>{0, 1, 2, 3, 4} && g->dead();
}

// A stack allocator that fails with `error` while *fail is set (greenlet's perverse parents and
// UnswitchableGreenlet: a greenlet that cannot be started).
struct FailingStacks {
    const bool* fail;
    std::exception_ptr error;
    PooledStackAllocator inner{};

    boost::context::stack_context allocate() {
        if (*fail) {
            std::rethrow_exception(error);
        }
        return inner.allocate();
    }
    void deallocate(boost::context::stack_context& stack) noexcept { inner.deallocate(stack); }
};

// Redirects file descriptor 2 to a temporary file while it lives (Python's sys.stderr swap).
class CapturedStderr {
  public:
    CapturedStderr() : file_(std::tmpfile()), saved_(dup(2)) {
        std::fflush(stderr);
        dup2(fileno(file_), 2);
    }
    CapturedStderr(const CapturedStderr&) = delete;
    CapturedStderr& operator=(const CapturedStderr&) = delete;
    ~CapturedStderr() {
        restore();
        std::fclose(file_);
    }

    // Restores stderr and returns what was written meanwhile.
    std::string text() {
        restore();
        std::string out;
        std::rewind(file_);
        char buffer[256];
        std::size_t n = 0;
        while ((n = std::fread(buffer, 1, sizeof buffer, file_)) > 0) {
            out.append(buffer, n);
        }
        return out;
    }

  private:
    void restore() {
        if (saved_ >= 0) {
            std::fflush(stderr);
            dup2(saved_, 2);
            close(saved_);
            saved_ = -1;
        }
    }

    std::FILE* file_;
    int saved_;
};

} // namespace

TEST_SUITE("fibers") {

    // greenlet test_greenlet.py test_simple
    TEST_CASE("a greenlet resumes where it switched away and returns to its parent when done") {
        CHECK(do_simple_test());
    }

    // greenlet test_greenlet.py test_parent_equals_None
    TEST_CASE("a greenlet's parent defaults to the current greenlet and cannot be null") {
        auto g = Greenlet::create([](std::any) {});
        CHECK(g->parent() == Greenlet::current());
        auto inner = Greenlet::create([](std::any) -> std::any {
            auto child = Greenlet::create([](std::any) {});
            return child->parent() == Greenlet::current();
        });
        CHECK(std::any_cast<bool>(inner->switch_to()));
        CHECK_THROWS_WITH_AS(Greenlet::create([](std::any) {}, nullptr),
                             "a greenlet's parent cannot be null", std::invalid_argument);
    }

    // greenlet test_greenlet.py test_two_children
    TEST_CASE("two greenlets on one function interleave and each dies when it returns") {
        std::vector<int> lst;
        auto f = [&](std::any) {
            lst.push_back(1);
            to_parent();
            lst.push_back(1);
            lst.push_back(1);
        };
        auto g = Greenlet::create(f);
        auto h = Greenlet::create(f);
        g->switch_to();
        CHECK(lst.size() == 1);
        h->switch_to();
        CHECK(lst.size() == 2);
        h->switch_to();
        CHECK(lst.size() == 4);
        CHECK(h->dead());
        CHECK_FALSE(g->dead());
        g->switch_to();
        CHECK(lst.size() == 6);
        CHECK(g->dead());
    }

    // greenlet test_greenlet.py test_two_recursive_children
    TEST_CASE("a greenlet's child returns to it and no handle to the greenlet is left behind") {
        std::vector<std::string> lst;
        auto f = [&](std::any) {
            lst.push_back("b");
            to_parent();
        };
        auto g = Greenlet::create([&](std::any) {
            lst.push_back("a");
            auto child = Greenlet::create(f);
            child->switch_to();
            lst.push_back("c");
        });
        CHECK(g.use_count() == 1);
        g->switch_to();
        CHECK(lst == std::vector<std::string>{"a", "b", "c"});
        CHECK(g.use_count() == 1);
        CHECK(g->dead());
    }

    // greenlet test_greenlet.py test_threads
    TEST_CASE("ten threads each run their own greenlets") {
        std::atomic<int> success{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 10; ++i) {
            threads.emplace_back([&] {
                if (do_simple_test()) {
                    success.fetch_add(1);
                }
            });
        }
        for (std::thread& t : threads) {
            t.join();
        }
        CHECK(success.load() == 10);
    }

    // greenlet test_greenlet.py test_thread_bug
    TEST_CASE("greenlets of two threads run at the same time") {
        std::barrier both_inside(2);
        std::atomic<int> finished{0};
        auto runner = [&] {
            auto g = Greenlet::create([&](std::any) {
                both_inside.arrive_and_wait(); // both threads are inside a greenlet now
            });
            g->switch_to();
            if (g->dead() && Greenlet::current()->is_main()) {
                finished.fetch_add(1);
            }
        };
        std::thread t1(runner);
        std::thread t2(runner);
        t1.join();
        t2.join();
        CHECK(finished.load() == 2);
    }

    // greenlet test_greenlet.py test_exception
    TEST_CASE("an exception goes to the parent, and a switch to a dead greenlet goes up the "
              "parent chain") {
        std::vector<std::string> seen;
        auto g1 = Greenlet::create(fmain);
        auto g2 = Greenlet::create(fmain);
        g1->switch_to(&seen);
        g2->switch_to(&seen);
        g2->set_parent(g1);
        CHECK(seen.empty());

        CHECK_THROWS_WITH_AS(g2->switch_to(), "SomeError", SomeError);
        CHECK(seen == std::vector<std::string>{"SomeError"});
        CHECK(g1->dead());
        CHECK(g2->dead());

        std::any value = g2->switch_to(); // dead g2, dead g1: main itself, so a no-op
        CHECK_FALSE(value.has_value());   // Python's ()
        CHECK(seen == std::vector<std::string>{"SomeError"});

        value = g2->switch_to(25);
        CHECK(std::any_cast<int>(value) == 25);
        CHECK(seen == std::vector<std::string>{"SomeError"});
    }

    // greenlet test_greenlet.py test_send_exception
    TEST_CASE("an exception raised by a child arrives at its parent's pending switch") {
        std::vector<std::string> seen;
        auto g1 = Greenlet::create(fmain);
        g1->switch_to(&seen);
        CHECK_THROWS_WITH_AS(send_exception(g1, std::make_exception_ptr(KeyError())), "KeyError",
                             KeyError);
        CHECK(seen == std::vector<std::string>{"KeyError"});
        CHECK(g1->dead());
    }

    // greenlet test_greenlet.py test_dealloc
    TEST_CASE("dropping the last handle to a suspended greenlet throws GreenletExit into it") {
        std::vector<std::string> seen;
        auto g1 = Greenlet::create(fmain);
        auto g2 = Greenlet::create(fmain);
        g1->switch_to(&seen);
        g2->switch_to(&seen);
        CHECK(seen.empty());
        g1.reset();
        CHECK(seen == std::vector<std::string>{"GreenletExit"});
        g2.reset();
        CHECK(seen == std::vector<std::string>{"GreenletExit", "GreenletExit"});
    }

    // greenlet test_greenlet.py test_dealloc (the unwinding: C++ destructors on the stack run)
    TEST_CASE("a killed greenlet's stack unwinds: destructors of its locals run") {
        struct Guard {
            std::vector<std::string>& log;
            ~Guard() { log.push_back("guard destroyed"); }
        };
        std::vector<std::string> log;
        std::weak_ptr<Greenlet> watch;
        {
            auto g = Greenlet::create([&](std::any) {
                Guard guard{log};
                to_parent();
                log.push_back("resumed normally");
            });
            watch = g;
            g->switch_to();
            CHECK(*g);
            CHECK(log.empty());
        }
        CHECK(log == std::vector<std::string>{"guard destroyed"});
        CHECK(watch.expired());
    }

    // greenlet test_greenlet.py test_dealloc_catches_GreenletExit_throws_other
    TEST_CASE("an exception other than GreenletExit ending a killed greenlet is printed, not "
              "thrown") {
        bool caught_exit = false;
        auto g = Greenlet::create([&](std::any) {
            try {
                to_parent();
            } catch (const GreenletExit&) {
                caught_exit = true;
                throw SomeError();
            }
        });
        g->switch_to();
        CapturedStderr captured;
        CHECK_NOTHROW(g.reset());
        std::string printed = captured.text();
        CHECK(caught_exit);
        CHECK(printed.find("exception ignored") != std::string::npos);
        CHECK(printed.find("SomeError") != std::string::npos);
    }

    // greenlet test_greenlet.py test_dealloc_other_thread
    TEST_CASE("a greenlet whose last handle goes on another thread is killed at its thread's next "
              "Greenlet::current()") {
        std::vector<std::string> seen;
        std::shared_ptr<Greenlet> someref;
        std::latch created_and_released_in_bg(1);
        std::latch fg_ref_released(1);
        std::latch bg_should_be_clear(1);
        std::latch ok_to_exit_bg_thread(1);
        std::thread t([&] {
            auto g1 = Greenlet::create(fmain);
            g1->switch_to(&seen);
            someref = g1;
            g1.reset();
            created_and_released_in_bg.count_down();
            fg_ref_released.wait();
            (void)Greenlet::current(); // the kill runs here
            bg_should_be_clear.count_down();
            ok_to_exit_bg_thread.wait();
        });
        created_and_released_in_bg.wait();
        CHECK(seen.empty());
        CHECK(someref.use_count() == 1);
        std::weak_ptr<Greenlet> watch = someref;
        someref.reset(); // the last handle, on the wrong thread: nothing runs now
        CHECK(seen.empty());
        fg_ref_released.count_down();
        bg_should_be_clear.wait();
        CHECK(seen == std::vector<std::string>{"GreenletExit"});
        CHECK(watch.expired());
        ok_to_exit_bg_thread.count_down();
        t.join();
    }

    // greenlet test_greenlet.py test_dealloc_other_thread (the owning thread switches instead)
    TEST_CASE("a greenlet whose last handle goes on another thread is killed at its thread's next "
              "switch") {
        std::vector<std::string> seen;
        std::vector<std::string> seen_before_switch;
        std::shared_ptr<Greenlet> someref;
        std::latch released_in_bg(1);
        std::latch fg_ref_released(1);
        std::thread t([&] {
            auto other = Greenlet::create([](std::any v) { return v; });
            auto g1 = Greenlet::create(fmain);
            g1->switch_to(&seen);
            someref = std::move(g1);
            released_in_bg.count_down();
            fg_ref_released.wait();
            seen_before_switch = seen;
            (void)other->switch_to(1); // the kill runs here, before the switch
        });
        released_in_bg.wait();
        someref.reset();
        CHECK(seen.empty());
        fg_ref_released.count_down();
        t.join();
        CHECK(seen_before_switch.empty());
        CHECK(seen == std::vector<std::string>{"GreenletExit"});
    }

    // greenlet test_greenlet.py test_frame (the states; gr_frame is Python-only)
    TEST_CASE("a suspended greenlet is true, and false once it has returned its value") {
        auto g = Greenlet::create([](std::any) -> std::any {
            to_parent("frame"s);
            return "meaning of life"s;
        });
        std::any frame = g->switch_to();
        CHECK(std::any_cast<std::string>(frame) == "frame");
        CHECK(*g);
        std::any from_g = g->switch_to();
        CHECK_FALSE(*g);
        CHECK(std::any_cast<std::string>(from_g) == "meaning of life");
    }

    // greenlet test_greenlet.py test_switch_to_another_thread
    TEST_CASE("switching to a greenlet of another thread throws GreenletError") {
        std::shared_ptr<Greenlet> g;
        std::latch created(1);
        std::latch done(1);
        std::thread thread([&] {
            g = Greenlet::create([](std::any) {});
            created.count_down();
            done.wait();
        });
        created.wait();
        CHECK_THROWS_WITH_AS(g->switch_to(), "cannot switch to a different thread", GreenletError);
        CHECK_THROWS_WITH_AS(g->throw_in(std::make_exception_ptr(SomeError())),
                             "cannot switch to a different thread", GreenletError);
        CHECK_THROWS_WITH_AS((void)g->parent(),
                             "cannot get the parent of a greenlet of a different thread",
                             GreenletError);
        CHECK_FALSE(g->started());
        done.count_down();
        thread.join();
        CHECK_THROWS_WITH_AS(g->switch_to(),
                             "cannot switch to a different thread (which happens to have exited)",
                             GreenletError);
        CHECK_FALSE(g->started());
    }

    // greenlet test_greenlet.py test_throw_to_dead_thread_doesnt_crash (adapted: a thread's end
    // kills its unfinished greenlets on that thread, so here the suspended one unwinds and dies)
    TEST_CASE("throwing into a greenlet of an exited thread throws GreenletError; the thread's "
              "end killed it") {
        std::shared_ptr<Greenlet> result;
        std::vector<std::string> seen;
        std::thread creator([&] {
            auto g = Greenlet::create(fmain);
            g->switch_to(&seen);
            result = g;
        });
        creator.join();
        CHECK(seen == std::vector<std::string>{"GreenletExit"});
        CHECK(result->dead());
        CHECK_FALSE(*result);
        CHECK_THROWS_WITH_AS(result->throw_in(std::make_exception_ptr(SomeError())),
                             "cannot switch to a different thread (which happens to have exited)",
                             GreenletError);
    }

    // greenlet test_greenlet.py test_throw_to_dead_thread_doesnt_crash_wait
    TEST_CASE("throwing into a finished greenlet of an exited thread throws GreenletError") {
        std::shared_ptr<Greenlet> result;
        std::thread creator([&] {
            auto g = Greenlet::create([](std::any) { to_parent(); });
            g->switch_to();
            result = g;
            g->switch_to(); // it finishes
            (void)Greenlet::current();
        });
        creator.join();
        CHECK(result->dead());
        CHECK_THROWS_WITH_AS(result->throw_in(std::make_exception_ptr(SomeError())),
                             "cannot switch to a different thread (which happens to have exited)",
                             GreenletError);
    }

    // greenlet test_greenlet.py test_exc_state
    TEST_CASE("the exception being handled is kept per greenlet across switches") {
        bool checked = false;
        auto f = Greenlet::create([&](std::any) {
            try {
                throw std::invalid_argument("fun");
            } catch (...) {
                std::exception_ptr exc_info = std::current_exception();
                std::exception_ptr seen_in_h = exc_info;
                Greenlet::create([&](std::any) {
                    seen_in_h = std::current_exception();
                })->switch_to();
                CHECK(seen_in_h == nullptr);
                CHECK(std::current_exception() == exc_info);
                try {
                    throw;
                } catch (const std::invalid_argument& e) {
                    CHECK(std::string(e.what()) == "fun");
                    checked = true;
                }
            }
        });
        f->switch_to();
        CHECK(checked);
        CHECK(f->dead());
        CHECK(std::current_exception() == nullptr);
    }

    // greenlet test_greenlet.py test_deepcopy
    TEST_CASE("a greenlet cannot be copied") {
        CHECK_FALSE(std::is_copy_constructible_v<Greenlet>);
        CHECK_FALSE(std::is_copy_assignable_v<Greenlet>);
    }

    // greenlet test_greenlet.py test_parent_restored_on_kill
    TEST_CASE("a kill makes the killer the parent for the while and restores the parent after") {
        auto hub = Greenlet::create([](std::any) {});
        auto main = Greenlet::current();
        std::vector<std::shared_ptr<Greenlet>> result;
        auto g = Greenlet::create(
            [&](std::any) {
                try {
                    main->switch_to(); // wait to be killed
                } catch (const GreenletExit&) {
                    // Resurrect (store a handle) and switch to the hub.
                    result.push_back(Greenlet::current()->parent());
                    result.push_back(Greenlet::current());
                    hub->switch_to();
                }
            },
            hub);
        g->switch_to();
        std::weak_ptr<Greenlet> watch = g;
        g.reset(); // the only handle: GreenletExit
        REQUIRE(result.size() == 2);
        CHECK(result[0] == main);
        CHECK(result[1]->parent() == hub);
        CHECK(*result[1]); // resurrected, suspended in hub->switch_to()
        CHECK(hub->dead());
        result.clear(); // now it dies for good
        CHECK(watch.expired());
    }

    // greenlet test_greenlet.py test_parent_return_failure (adapted: the parent cannot start
    // because its stack cannot be allocated, instead of having no run)
    TEST_CASE("when a finished greenlet's unstarted parent fails to start, the error goes further "
              "up") {
        const bool fail = true;
        auto g1 = Greenlet::create(std::allocator_arg,
                                   FailingStacks{&fail, std::make_exception_ptr(std::bad_alloc())},
                                   [](std::any) {});
        auto g2 = Greenlet::create([](std::any) {}, g1);
        CHECK_THROWS_AS(g2->switch_to(), std::bad_alloc);
        CHECK(g2->dead());
        CHECK_FALSE(g1->started());
    }

    // greenlet test_greenlet.py test_dealloc_switch_args_not_lost (adapted: the greenlet drops
    // its last handle while it runs, so the kill waits for main's next Greenlet::current())
    TEST_CASE("a greenlet that drops its last handle while running delivers its switch value, then "
              "is killed") {
        std::vector<std::string> seen;
        auto main = Greenlet::current();
        std::vector<std::shared_ptr<Greenlet>> worker;
        std::shared_ptr<Greenlet> initiator;
        worker.push_back(Greenlet::create([&](std::any) {
            std::any value = main->switch_to(); // wait for the value
            worker.clear();                     // delete all references to ourself
            initiator->set_parent(main);
            try {
                main->switch_to(std::move(value));
            } catch (...) {
                seen.push_back(exception_name(std::current_exception()));
                throw;
            }
        }));
        worker[0]->switch_to(); // prime the worker
        initiator = Greenlet::create([](std::any) -> std::any { return 42; }, worker[0]);
        std::any value = initiator->switch_to();
        CHECK(std::any_cast<int>(value) == 42);
        CHECK(seen.empty()); // the kill waits: it ran inside the worker itself
        (void)Greenlet::current();
        CHECK(seen == std::vector<std::string>{"GreenletExit"});
    }

    // greenlet test_greenlet.py test_falling_off_end_switches_to_unstarted_parent_raises_error
    TEST_CASE("a finished greenlet starts its unstarted parent, whose error reaches the caller") {
        auto parent_never_started = Greenlet::create([](std::any v) -> std::any {
            (void)std::any_cast<std::string>(v); // it wants no int
            return 13;
        });
        auto child =
            Greenlet::create([](std::any) -> std::any { return 42; }, parent_never_started);
        CHECK_THROWS_AS(child->switch_to(), std::bad_any_cast);
        CHECK(child->dead());
        CHECK(parent_never_started->dead());
    }

    // greenlet test_greenlet.py test_falling_off_end_switches_to_unstarted_parent_works
    TEST_CASE("a finished greenlet starts its unstarted parent with its result") {
        auto parent_never_started = Greenlet::create(
            [](std::any x) -> std::any { return std::pair<int, int>(std::any_cast<int>(x), 24); });
        auto child =
            Greenlet::create([](std::any) -> std::any { return 42; }, parent_never_started);
        std::any result = child->switch_to();
        CHECK(std::any_cast<std::pair<int, int>>(result) == std::pair<int, int>(42, 24));
        CHECK(child->dead());
        CHECK(parent_never_started->dead());
    }

    // greenlet test_greenlet.py test_switch_to_dead_greenlet_with_unstarted_perverse_parent
    // (adapted: the parent's start fails in its stack allocation instead of __getattribute__)
    TEST_CASE("switching to a dead greenlet whose unstarted parent cannot start throws each time "
              "and never reruns it") {
        const bool fail = true;
        auto parent_never_started = Greenlet::create(
            std::allocator_arg, FailingStacks{&fail, std::make_exception_ptr(SomeError())},
            [](std::any) {});
        std::vector<int> seen;
        auto child = Greenlet::create([&](std::any) { seen.push_back(42); }, parent_never_started);
        CHECK_THROWS_WITH_AS(child->switch_to(), "SomeError", SomeError);
        CHECK(seen == std::vector<int>{42});
        CHECK(child->dead());
        CHECK_THROWS_WITH_AS(child->switch_to(), "SomeError", SomeError);
        CHECK(seen == std::vector<int>{42});
        CHECK_FALSE(parent_never_started->started());
    }

    // greenlet test_greenlet.py test_switch_to_dead_greenlet_reparent
    TEST_CASE("switching to a dead greenlet given an unstarted parent starts that parent") {
        std::vector<int> seen;
        auto parent_never_started = Greenlet::create([&](std::any) { seen.push_back(24); });
        auto child = Greenlet::create([&](std::any) { seen.push_back(42); });
        child->switch_to();
        CHECK(seen == std::vector<int>{42});
        child->set_parent(parent_never_started);
        std::any result = child->switch_to(); // the same as switching to the parent
        CHECK_FALSE(result.has_value());
        CHECK(seen == std::vector<int>{42, 24});
        CHECK(parent_never_started->dead());
    }

    // greenlet test_greenlet.py test_get_stack_with_nested_c_calls (without the frame walk)
    TEST_CASE("a greenlet switched away from deep in nested calls resumes them") {
        std::function<int(int)> recurse = [&](int v) -> int {
            if (v > 0) {
                return v * recurse(v - 1);
            }
            return std::any_cast<int>(to_parent());
        };
        auto gr = Greenlet::create(
            [&](std::any v) -> std::any { return recurse(std::any_cast<int>(v)); });
        std::any first = gr->switch_to(5);
        CHECK_FALSE(first.has_value());
        CHECK(*gr);
        std::any result = gr->switch_to(10);
        CHECK(std::any_cast<int>(result) == 1200); // 5! * 10
        CHECK(gr->dead());
    }

    // greenlet test_greenlet.py TestBrokenGreenlets test_failed_to_initialstub (adapted: the
    // first switch fails because no stack can be had)
    TEST_CASE("a greenlet whose stack cannot be allocated stays unstarted and can start later") {
        bool fail = true;
        bool ran = false;
        auto g = Greenlet::create(std::allocator_arg,
                                  FailingStacks{&fail, std::make_exception_ptr(std::bad_alloc())},
                                  [&](std::any v) -> std::any {
                                      ran = true;
                                      return v;
                                  });
        CHECK_THROWS_AS(g->switch_to(1), std::bad_alloc);
        CHECK_FALSE(ran);
        CHECK_FALSE(g->started());
        CHECK_FALSE(g->dead());
        CHECK(Greenlet::current()->is_main());
        fail = false;
        std::any result = g->switch_to(7);
        CHECK(std::any_cast<int>(result) == 7);
        CHECK(ran);
        CHECK(g->dead());
    }

    // greenlet test_greenlet.py TestGreenletSetParentErrors test_threaded_reparent
    TEST_CASE("a parent of another thread is refused") {
        std::shared_ptr<Greenlet> other;
        std::latch created(1);
        std::latch done(1);
        std::thread thread([&] {
            other = Greenlet::create([](std::any) {});
            created.count_down();
            done.wait();
        });
        created.wait();
        auto g = Greenlet::create([](std::any) { to_parent(); });
        g->switch_to();
        CHECK_THROWS_WITH_AS(g->set_parent(other), "parent cannot be on a different thread",
                             std::invalid_argument);
        CHECK(g->parent() == Greenlet::current());
        CHECK_THROWS_WITH_AS(Greenlet::create([](std::any) {}, other),
                             "parent cannot be on a different thread", std::invalid_argument);
        done.count_down();
        thread.join();
        g->switch_to();
        CHECK(g->dead());
    }

    // greenlet test_greenlet.py TestGreenletSetParentErrors test_main_greenlet_parent_is_none
    TEST_CASE("a main greenlet has no parent") {
        auto main = Greenlet::current();
        CHECK(main->is_main());
        CHECK(main->parent() == nullptr);
    }

    // greenlet test_greenlet.py TestGreenletSetParentErrors test_set_parent_wrong_types (None)
    TEST_CASE("a null parent is refused before and while the greenlet runs") {
        auto g = Greenlet::create([](std::any) { to_parent(); });
        CHECK_FALSE(*g);
        CHECK_THROWS_WITH_AS(g->set_parent(nullptr), "a greenlet's parent cannot be null",
                             std::invalid_argument);
        g->switch_to();
        CHECK(*g);
        CHECK_THROWS_WITH_AS(g->set_parent(nullptr), "a greenlet's parent cannot be null",
                             std::invalid_argument);
        CHECK(g->parent() == Greenlet::current());
        g->switch_to();
        CHECK(g->dead());
    }

    // greenlet test_greenlet.py TestGreenletSetParentErrors test_trivial_cycle
    TEST_CASE("a greenlet cannot be its own parent") {
        auto glet = Greenlet::create([](std::any) {});
        CHECK_THROWS_WITH_AS(glet->set_parent(glet), "cyclic parent chain", std::invalid_argument);
        CHECK(glet->parent() == Greenlet::current());
    }

    // greenlet test_greenlet.py TestGreenletSetParentErrors test_trivial_cycle_main
    TEST_CASE("a main greenlet's parent cannot be set") {
        auto main = Greenlet::current();
        CHECK_THROWS_WITH_AS(main->set_parent(main), "cannot set the parent of a main greenlet",
                             std::invalid_argument);
        auto g = Greenlet::create([](std::any) {});
        CHECK_THROWS_WITH_AS(main->set_parent(g), "cannot set the parent of a main greenlet",
                             std::invalid_argument);
        CHECK(main->parent() == nullptr);
    }

    // greenlet test_greenlet.py TestGreenletSetParentErrors test_deeper_cycle
    TEST_CASE("a parent chain that would lead back to the greenlet is refused") {
        auto g1 = Greenlet::create([](std::any) {});
        auto g2 = Greenlet::create([](std::any) {});
        auto g3 = Greenlet::create([](std::any) {});
        g1->set_parent(g2);
        g2->set_parent(g3);
        CHECK_THROWS_WITH_AS(g3->set_parent(g1), "cyclic parent chain", std::invalid_argument);
        CHECK(g3->parent() == Greenlet::current());
    }

    // greenlet test_greenlet.py TestRepr test_initial
    TEST_CASE("an unstarted greenlet is neither started, nor dead, nor true") {
        auto g = Greenlet::create([](std::any) {});
        CHECK_FALSE(g->started());
        CHECK_FALSE(g->dead());
        CHECK_FALSE(*g);
        CHECK_FALSE(g->is_main());
    }

    // greenlet test_greenlet.py TestRepr test_main_while_running and test_main_in_background
    TEST_CASE("a main greenlet is started and true, running or in the background") {
        auto main = Greenlet::current();
        CHECK(main->is_main());
        CHECK(main->started());
        CHECK(*main);
        CHECK_FALSE(main->dead());
        bool checked = false;
        auto g = Greenlet::create([&](std::any) {
            CHECK(Greenlet::current() != main);
            CHECK(main->started());
            CHECK(*main);
            CHECK_FALSE(main->dead());
            auto self = Greenlet::current();
            CHECK(self->started());
            CHECK(*self);
            CHECK_FALSE(self->dead());
            checked = true;
        });
        g->switch_to();
        CHECK(checked);
    }

    // greenlet test_greenlet.py TestRepr test_dead
    TEST_CASE("a finished greenlet is dead and false, and stays started") {
        auto g = Greenlet::create([](std::any) {});
        g->switch_to();
        CHECK(g->dead());
        CHECK_FALSE(*g);
        CHECK(g->started());
    }

    // greenlet test_greenlet.py TestRepr test_main_from_other_thread
    TEST_CASE("the main greenlet of an exited thread is dead") {
        auto main = Greenlet::current();
        std::shared_ptr<Greenlet> thread_main;
        bool original_main_active = false;
        bool thread_main_current = false;
        std::thread t([&] {
            original_main_active = *main && !main->dead() && Greenlet::current() != main;
            thread_main = Greenlet::current();
            thread_main_current = thread_main->is_main() && *thread_main && !thread_main->dead();
        });
        t.join();
        CHECK(original_main_active);
        CHECK(thread_main_current);
        for (int i = 0; i < 3; ++i) {
            CHECK(thread_main->dead());
            CHECK_FALSE(*thread_main);
        }
        CHECK_THROWS_WITH_AS(thread_main->switch_to(),
                             "cannot switch to a different thread (which happens to have exited)",
                             GreenletError);
    }

    // greenlet test_throw.py test_class
    TEST_CASE("throw_in raises the exception at the greenlet's pending switch") {
        auto g = Greenlet::create([](std::any) {
            try {
                to_parent("ok"s);
            } catch (const std::runtime_error&) {
                to_parent("ok"s);
                return;
            }
            to_parent("fail"s);
        });
        std::any res = g->switch_to();
        CHECK(std::any_cast<std::string>(res) == "ok");
        res = g->throw_in(std::make_exception_ptr(std::runtime_error("")));
        CHECK(std::any_cast<std::string>(res) == "ok");
    }

    // greenlet test_throw.py test_val (throw(RuntimeError("ciao")) and throw(RuntimeError, "ciao")
    // are one form in C++)
    TEST_CASE("throw_in raises the very exception object given") {
        auto f = [](std::any) {
            try {
                to_parent("ok"s);
            } catch (const std::runtime_error& val) {
                if (std::string(val.what()) == "ciao") {
                    to_parent("ok"s);
                    return;
                }
            }
            to_parent("fail"s);
        };
        auto g = Greenlet::create(f);
        std::any res = g->switch_to();
        CHECK(std::any_cast<std::string>(res) == "ok");
        res = g->throw_in(std::make_exception_ptr(std::runtime_error("ciao")));
        CHECK(std::any_cast<std::string>(res) == "ok");

        g = Greenlet::create(f);
        res = g->switch_to();
        CHECK(std::any_cast<std::string>(res) == "ok");
        res = g->throw_in(std::make_exception_ptr(std::runtime_error("other")));
        CHECK(std::any_cast<std::string>(res) == "fail");
    }

    // greenlet test_throw.py test_kill
    TEST_CASE("throw_in kills with GreenletExit, which comes back as a value, also from a dead "
              "greenlet") {
        auto g = Greenlet::create([](std::any) {
            to_parent("ok"s);
            to_parent("fail"s);
        });
        std::any res = g->switch_to();
        CHECK(std::any_cast<std::string>(res) == "ok");
        res = g->throw_in();
        CHECK(res.type() == typeid(GreenletExit));
        CHECK(g->dead());
        res = g->throw_in(); // immediately eaten by the already-dead greenlet
        CHECK(res.type() == typeid(GreenletExit));
        CHECK(g->dead());
    }

    // greenlet test_throw.py test_kill (GreenletExit raised by the function itself; greenlet's
    // g_handle_exit)
    TEST_CASE("GreenletExit escaping a greenlet's function reaches the parent as a value") {
        auto g = Greenlet::create([](std::any) -> std::any { throw GreenletExit{}; });
        std::any res;
        CHECK_NOTHROW(res = g->switch_to());
        CHECK(res.type() == typeid(GreenletExit));
        CHECK(g->dead());
    }

    // greenlet test_throw.py test_kill (an unstarted greenlet: it dies without running)
    TEST_CASE("throw_in of GreenletExit into an unstarted greenlet kills it without running it") {
        bool ran = false;
        auto g = Greenlet::create([&](std::any) { ran = true; });
        std::any res = g->throw_in();
        CHECK(res.type() == typeid(GreenletExit));
        CHECK(g->dead());
        CHECK(g->started());
        CHECK_FALSE(ran);
    }

    // greenlet test_throw.py test_throw_goes_to_original_parent
    TEST_CASE("an exception thrown into a greenlet goes to its parent when it does not catch it") {
        auto main = Greenlet::current();
        bool f1_ran = false;
        bool f2_ran = false;
        auto f1 = [&](std::any) -> std::any {
            f1_ran = true;
            try {
                main->switch_to("f1 ready to catch"s);
            } catch (const std::out_of_range&) {
                return "caught"s;
            }
            return "normal exit"s;
        };
        auto f2 = [&](std::any) {
            f2_ran = true;
            main->switch_to("from f2"s);
        };

        // Both unstarted: both die without running, and the error reaches main.
        auto g1 = Greenlet::create(f1);
        auto g2 = Greenlet::create(f2, g1);
        CHECK_THROWS_WITH_AS(g2->throw_in(std::make_exception_ptr(std::out_of_range("index"))),
                             "index", std::out_of_range);
        CHECK(g2->dead());
        CHECK(g1->dead());
        CHECK_FALSE(f1_ran);
        CHECK_FALSE(f2_ran);

        // g1 waiting in its try: the unstarted g2 dies and g1 catches.
        g1 = Greenlet::create(f1);
        g2 = Greenlet::create(f2, g1);
        std::any res = g1->switch_to();
        CHECK(std::any_cast<std::string>(res) == "f1 ready to catch");
        res = g2->throw_in(std::make_exception_ptr(std::out_of_range("index")));
        CHECK(std::any_cast<std::string>(res) == "caught");
        CHECK(g2->dead());
        CHECK(g1->dead());
        CHECK_FALSE(f2_ran);

        // The same with g2 suspended.
        g1 = Greenlet::create(f1);
        g2 = Greenlet::create(f2, g1);
        res = g1->switch_to();
        CHECK(std::any_cast<std::string>(res) == "f1 ready to catch");
        res = g2->switch_to();
        CHECK(std::any_cast<std::string>(res) == "from f2");
        CHECK(f2_ran);
        res = g2->throw_in(std::make_exception_ptr(std::out_of_range("index")));
        CHECK(std::any_cast<std::string>(res) == "caught");
        CHECK(g2->dead());
        CHECK(g1->dead());
    }

    // greenlet test_throw.py test_not_throwable (the C++ form: no exception at all)
    TEST_CASE("throw_in refuses a null exception_ptr") {
        auto g = Greenlet::create([](std::any) {});
        CHECK_THROWS_WITH_AS(g->throw_in(nullptr),
                             "throw_in needs an exception (a null exception_ptr)",
                             std::invalid_argument);
        CHECK_FALSE(g->started());
        CHECK_THROWS_WITH_AS(Greenlet::current()->throw_in(nullptr),
                             "throw_in needs an exception (a null exception_ptr)",
                             std::invalid_argument);
    }

} // TEST_SUITE
