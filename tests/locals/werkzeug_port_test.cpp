// Werkzeug's tests/test_local.py (2.2+, 3.x) ported: Local and LocalStack across threads and
// copied contexts, release, and LocalProxy over a Local, a stack, a callable and a ContextVar.
// Skipped as Python-only: pickling, copy/deepcopy, __dict__/dir()/attribute proxying, __wrapped__,
// __doc__ and __class__ lookups, numeric conversions (int(), round(), __index__), @, awaiting and
// async iteration/context managers; asyncio tasks are ported as contexts copied and run in turn.
#include "../context/test_helpers.hpp"
#include "proxy_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/errors.hpp>
#include <ctxvar/local.hpp>
#include <ctxvar/local_proxy.hpp>
#include <ctxvar/local_stack.hpp>
#include <ctxvar/thread.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <barrier>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using namespace context_test;
using ctxvar::ContextVar;
using ctxvar::Local;
using ctxvar::LocalProxy;
using ctxvar::LocalStack;
using locals_test::printed;

namespace {

// A mutable object kept by pointer in locals, stacks and variables (Flask's request).
struct Request {
    explicit Request(std::string p) : path(std::move(p)) {}
    std::string path;
    int hits = 0;
};

// test_proxy_iop's Example: every compound assignment stores its operand and returns *this.
struct Example {
    int value = 1;
    Example& fake_op(int other) {
        value = other;
        return *this;
    }
    Example& operator+=(int other) { return fake_op(other); }
    Example& operator-=(int other) { return fake_op(other); }
    Example& operator*=(int other) { return fake_op(other); }
    Example& operator/=(int other) { return fake_op(other); }
    Example& operator%=(int other) { return fake_op(other); }
    Example& operator<<=(int other) { return fake_op(other); }
    Example& operator>>=(int other) { return fake_op(other); }
    Example& operator&=(int other) { return fake_op(other); }
    Example& operator|=(int other) { return fake_op(other); }
    Example& operator^=(int other) { return fake_op(other); }
};

// test_proxy_string_representations' Example: prints as "a".
struct Printable {
    friend std::ostream& operator<<(std::ostream& out, const Printable&) { return out << "a"; }
};
struct Unprintable {};

} // namespace

TEST_SUITE("locals") {
    // Ports test_basic_local.
    TEST_CASE("threads each see the Local as it was when they started and keep their own sets") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("foo", 0);

        std::mutex mutex;
        std::vector<int> seen_at_start;
        std::vector<int> values;
        std::latch parent_wrote(1);
        std::barrier all_set(3);
        {
            std::vector<ctxvar::Thread> threads;
            for (int idx : {1, 2, 3}) {
                threads.emplace_back([&, idx] {
                    parent_wrote.wait();
                    const int at_start = ns.get<int>("foo");
                    ns.set("foo", idx);
                    all_set.arrive_and_wait(); // every thread has set foo before any reads it
                    const int value = ns.get<int>("foo");
                    std::lock_guard lock(mutex);
                    seen_at_start.push_back(at_start);
                    values.push_back(value);
                });
            }
            // A write in the parent after the threads started is not seen by them.
            ns.set("foo", 99);
            parent_wrote.count_down();
            for (ctxvar::Thread& thread : threads) {
                thread.join();
            }
        }
        std::sort(values.begin(), values.end());
        CHECK(values == std::vector<int>{1, 2, 3});
        CHECK(seen_at_start == std::vector<int>{0, 0, 0});
        CHECK(ns.get<int>("foo") == 99); // the threads' sets stayed in the threads

        // del ns.foo; then reading or deleting it again is Werkzeug's AttributeError.
        ns.erase("foo");
        CHECK_THROWS_WITH_AS(ns.get<int>("foo"), "no value named 'foo' in this Local",
                             ctxvar::LookupError);
        CHECK_THROWS_WITH_AS(ns.erase("foo"), "no value named 'foo' in this Local",
                             ctxvar::LookupError);

        ns.set("bar", 1);
        ns.release();
        CHECK(ns.empty());
    }

    // Ports test_basic_local_asyncio: each asyncio task runs in a copy of the context.
    TEST_CASE("contexts copied from one another each keep their own sets of a Local's name") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("foo", 0);

        std::vector<ctxvar::Context> tasks;
        for (int i = 0; i != 3; ++i) {
            tasks.push_back(ctxvar::copy_context());
        }
        // Interleaved as the tasks' sleeps interleave them: all set, then all read.
        for (int idx = 1; idx <= 3; ++idx) {
            tasks[idx - 1].run([&] { ns.set("foo", idx); });
        }
        std::vector<int> values;
        for (const ctxvar::Context& task : tasks) {
            values.push_back(task.run([&] { return ns.get<int>("foo"); }));
        }
        CHECK(values == std::vector<int>{1, 2, 3});
        CHECK(ns.get<int>("foo") == 0);

        ns.erase("foo");
        CHECK_FALSE(ns.contains("foo"));
        CHECK_THROWS_AS(ns.get<int>("foo"), ctxvar::LookupError);
        CHECK_THROWS_AS(ns.erase("foo"), ctxvar::LookupError);
        // The tasks' contexts still hold theirs.
        CHECK(tasks[0].run([&] { return ns.get<int>("foo"); }) == 1);
    }

    // Ports test_local_release.
    TEST_CASE("releasing a Local or a LocalStack empties it in the current context only") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("foo", 42);
        const ctxvar::Context before = ctxvar::copy_context();
        ns.release();
        CHECK_FALSE(ns.contains("foo"));
        CHECK(ns.get_if<int>("foo") == nullptr);
        CHECK(ns.empty());
        CHECK(before.run([&] { return ns.get<int>("foo"); }) == 42);

        const LocalStack<int> ls;
        ls.push(42);
        const ctxvar::Context pushed = ctxvar::copy_context();
        ls.release();
        CHECK(ls.top() == nullptr);
        CHECK(ls.empty());
        CHECK(pushed.run([&] { return ls.size(); }) == 1);
    }

    // Ports test_local_stack (its first half).
    TEST_CASE("a LocalStack's top follows pushes and pops, and popping it empty gives nothing") {
        IsolatedFlow flow;
        const LocalStack<int> ls;
        CHECK(ls.top() == nullptr);
        CHECK(ls.push(42) == 1);
        REQUIRE(ls.top() != nullptr);
        CHECK(*ls.top() == 42);
        CHECK(ls.push(23) == 2);
        CHECK(*ls.top() == 23);
        CHECK(ls.pop() == 23);
        CHECK(*ls.top() == 42);
        CHECK(ls.pop() == 42);
        CHECK(ls.top() == nullptr);
        CHECK(ls.pop() == std::nullopt);
        CHECK(ls.pop() == std::nullopt);
        CHECK(ls.size() == 0);
    }

    // Ports test_local_stack (its second half: `proxy = ls()`).
    TEST_CASE("a proxy of a LocalStack follows its top and prints unbound once it is empty") {
        IsolatedFlow flow;
        const LocalStack<std::vector<int>> ls;
        auto proxy = ls.proxy();
        static_assert(std::is_same_v<decltype(proxy), LocalProxy<const std::vector<int>>>);
        ls.push({1, 2});
        CHECK(proxy == std::vector<int>{1, 2});
        ls.push({3, 4, 5});
        CHECK(proxy == std::vector<int>{3, 4, 5});
        ls.pop();
        CHECK(proxy == std::vector<int>{1, 2});
        ls.pop();
        CHECK(printed(proxy) == "<LocalProxy unbound>");
        CHECK_THROWS_WITH_AS(proxy.get(), "object is not bound", ctxvar::UnboundError);
    }

    // Ports test_local_stack_asyncio, with threads standing in for the tasks.
    TEST_CASE("threads started over a one-element stack each push onto their own copy of it") {
        IsolatedFlow flow;
        const LocalStack<int> ls;
        ls.push(1);

        std::mutex mutex;
        std::vector<std::size_t> sizes;
        std::barrier all_pushed(3);
        {
            std::vector<ctxvar::Thread> threads;
            for (int i = 0; i != 3; ++i) {
                threads.emplace_back([&] {
                    ls.push(1);
                    all_pushed.arrive_and_wait(); // all three pushes made before any reads
                    const std::size_t size = ls.size();
                    std::lock_guard lock(mutex);
                    sizes.push_back(size);
                });
            }
            for (ctxvar::Thread& thread : threads) {
                thread.join();
            }
        }
        CHECK(sizes == std::vector<std::size_t>{2, 2, 2});
        CHECK(ls.size() == 1);
        CHECK(ls.pop() == 1);
    }

    // Ports test_proxy_local.
    TEST_CASE("a proxy of a Local's name reaches and changes the object stored by pointer") {
        IsolatedFlow flow;
        const Local ns;
        using List = std::vector<int>;
        ns.set("foo", std::make_shared<List>());
        const auto foo = [&] { return ns.get<std::shared_ptr<List>>("foo"); };

        LocalProxy<List> p{ns, "foo"};
        p->push_back(42);
        p->push_back(23);
        // p[1:] = [1, 2, 3]
        p->erase(p->begin() + 1, p->end());
        p->insert(p->end(), {1, 2, 3});
        CHECK(p == List{42, 1, 2, 3});
        CHECK(p == *foo());
        // ns.foo += [1]
        foo()->push_back(1);
        CHECK(List(p.begin(), p.end()) == List{42, 1, 2, 3, 1});

        auto p_from_local = ns.proxy<List>("foo");
        p_from_local->push_back(2);
        CHECK(p == p_from_local);
        CHECK(*foo() == List{42, 1, 2, 3, 1, 2});
        CHECK(&p.get() == foo().get()); // p._get_current_object() is ns.foo
    }

    // Ports test_proxy_callable.
    TEST_CASE("a proxy of a callable forwards to whatever the callable returns on each use") {
        IsolatedFlow flow;
        int value = 42;
        LocalProxy<int> number{[&]() -> int& { return value; }};
        CHECK(number == 42);
        value = 23;
        CHECK(number == 23);
        CHECK(&number.get() == &value);

        std::vector<int> list{23};
        LocalProxy<std::vector<int>> p{[&]() -> std::vector<int>& { return list; }};
        p->push_back(42);
        CHECK(p == std::vector<int>{23, 42});
        CHECK(list == std::vector<int>{23, 42});
        CHECK(&p.get() == &list);

        // A callable returning a pointer switches objects, and is unbound while it is null.
        std::vector<int> other{7};
        std::vector<int>* current = &list;
        LocalProxy<std::vector<int>> q{[&] { return current; }};
        CHECK(&q.get() == &list);
        current = &other;
        CHECK(q == std::vector<int>{7});
        CHECK(&q.get() == &other);
        current = nullptr;
        CHECK_FALSE(q.is_bound());
        CHECK_THROWS_WITH_AS(q.get(), "object is not bound", ctxvar::UnboundError);
    }

    // Ports test_proxy_wrapped (its ContextVar part: `LocalProxy(_cv_val)`, unbound, then set).
    TEST_CASE("a proxy of a ContextVar reads the value the current context holds") {
        IsolatedFlow flow;
        const ContextVar<int> val{"werkzeug.tests.val"};
        LocalProxy<const int> proxy{val};
        CHECK_FALSE(proxy.is_bound());
        CHECK_THROWS_WITH_AS(proxy.get(), "object is not bound", ctxvar::UnboundError);

        val.set(42);
        CHECK(proxy == 42);
        CHECK(&proxy.get() == &val.get());

        const ctxvar::Context other = ctxvar::copy_context();
        other.run([&] {
            val.set(7);
            CHECK(proxy == 7);
        });
        CHECK(proxy == 42);

        // A variable with a default is bound from the start.
        const ContextVar<std::string> user{"user", "anonymous"};
        LocalProxy<const std::string> current_user{user};
        CHECK(current_user == "anonymous");
    }

    // Ports test_proxy_unbound and the unbound_message argument of LocalProxy, Local.__call__
    // and LocalStack.__call__ (Flask's "Working outside of request context.").
    TEST_CASE("an unbound proxy throws UnboundError with the default or its own message") {
        IsolatedFlow flow;
        const Local ns;
        const LocalStack<int> stack;
        const ContextVar<int> var{"var"};

        LocalProxy<const int> from_local = ns.proxy<const int>("value");
        LocalProxy<const int> from_stack = stack.proxy();
        LocalProxy<const int> from_var{var};
        LocalProxy<int> from_callable{[]() -> int* { return nullptr; }};
        CHECK_THROWS_WITH_AS(from_local.get(), "object is not bound", ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(from_stack.get(), "object is not bound", ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(from_var.get(), "object is not bound", ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(from_callable.get(), "object is not bound", ctxvar::UnboundError);
        CHECK(from_local.unbound_message() == "object is not bound");
        // Werkzeug raises RuntimeError.
        CHECK_THROWS_AS(*from_stack, std::runtime_error);

        const std::string outside = "Working outside of request context.";
        auto request = stack.proxy(outside);
        auto user = ns.proxy<const int>("user", outside);
        LocalProxy<const int> request_id{var, outside};
        LocalProxy<int> config{[]() -> int* { return nullptr; }, outside};
        CHECK(request.unbound_message() == outside);
        CHECK_THROWS_WITH_AS(request.get(), outside.c_str(), ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(user.get(), outside.c_str(), ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(request_id.get(), outside.c_str(), ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(config.get(), outside.c_str(), ctxvar::UnboundError);

        // repr(p) == "<LocalProxy unbound>"; `not p` becomes !is_bound() (operator! forwards).
        CHECK(printed(from_local) == "<LocalProxy unbound>");
        CHECK_FALSE(from_local.is_bound());
        CHECK(from_local.get_if() == nullptr);

        stack.push(5);
        CHECK(request == 5);
        ns.set("user", 6);
        CHECK(user == 6);
    }

    // Ports test_proxy_fallback (a stack's proxy and a failing callable's print unbound, and the
    // proxy is a LocalProxy) and, once bound, test_proxy_string_representations.
    TEST_CASE("a proxy prints <LocalProxy unbound> while unbound and its object once bound") {
        IsolatedFlow flow;
        const LocalStack<int> local_stack;
        auto local_proxy = local_stack.proxy();
        static_assert(std::is_same_v<decltype(local_proxy), LocalProxy<const int>>);
        CHECK(printed(local_proxy) == "<LocalProxy unbound>");
        CHECK_NOTHROW(printed(local_proxy));
        LocalProxy<int> raises{[]() -> int* { return nullptr; }};
        CHECK(printed(raises) == "<LocalProxy unbound>");

        local_stack.push(42);
        CHECK(printed(local_proxy) == "42");

        const Local ns;
        ns.set("value", Printable{});
        ns.set("opaque", Unprintable{});
        CHECK(printed(ns.proxy<const Printable>("value")) == "a");
        CHECK(printed(ns.proxy<const Unprintable>("opaque")) == "<LocalProxy bound>");
    }

    // Ports the mutable objects of test_proxy_local / test_proxy_callable: a proxy of a pointer
    // (Flask's request) changes the object every holder of the pointer sees.
    TEST_CASE("proxies of stored pointers reach mutable objects that their owners see change") {
        IsolatedFlow flow;
        Request raw("/index");
        const LocalStack<Request*> raw_stack;
        raw_stack.push(&raw);
        auto request = raw_stack.proxy();
        static_assert(std::is_same_v<decltype(request), LocalProxy<Request>>);
        request->hits += 1;
        (*request).path = "/moved";
        CHECK(raw.hits == 1);
        CHECK(raw.path == "/moved");

        const auto shared = std::make_shared<Request>("/shared");
        const LocalStack<std::shared_ptr<Request>> shared_stack;
        shared_stack.push(shared);
        auto shared_request = shared_stack.proxy();
        static_assert(std::is_same_v<decltype(shared_request), LocalProxy<Request>>);
        shared_request->hits = 5;
        CHECK(shared->hits == 5);
        CHECK(shared_stack.pop() == shared);
        CHECK_FALSE(shared_request.is_bound());

        const Local ns;
        ns.set("user", &raw);
        LocalProxy<Request> user{ns, "user"};
        user->hits += 10;
        CHECK(raw.hits == 11);
        ns.set("user", shared);
        user->hits += 10;
        CHECK(shared->hits == 15);

        const ContextVar<std::shared_ptr<Request>> var{"request"};
        var.set(shared);
        LocalProxy<Request> from_var{var};
        from_var->path = "/var";
        CHECK(shared->path == "/var");

        // A value stored by value is immutable: only a proxy of a const object may reach it.
        ns.set("value", Request("/value"));
        CHECK(ns.proxy<const Request>("value")->path == "/value");
        CHECK_THROWS_AS(ns.proxy<Request>("value").get(), std::invalid_argument);
    }

    // Ports `p._get_current_object() is ns.foo` (test_proxy_local, test_proxy_callable) and
    // test_proxy_hash.
    TEST_CASE("get() returns the very object the source holds, through every way of asking") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("value", std::string("abc"));
        auto p = ns.proxy<const std::string>("value");
        const std::string* stored = &ns.get<std::string>("value");
        CHECK(&p.get() == stored);
        CHECK(p.get_if() == stored);
        CHECK(&*p == stored);
        CHECK(p.operator->() == stored);
        const auto copy = p;
        CHECK(&copy.get() == stored);
        CHECK(std::hash<std::string>{}(*p) == std::hash<std::string>{}("abc"));

        const LocalStack<std::string> stack;
        stack.push("top");
        CHECK(&stack.proxy().get() == stack.top());

        const ContextVar<std::string> var{"var"};
        var.set("x");
        CHECK(&LocalProxy<const std::string>{var}.get() == &var.get());

        const auto shared = std::make_shared<std::string>("shared");
        ns.set("shared", shared);
        CHECK(&ns.proxy<std::string>("shared").get() == shared.get());
    }

    // Ports test_proxy_binop_int (divmod, pow and // have no C++ operator; shifts forward on the
    // left only, since `out << proxy` prints).
    TEST_CASE("a proxy of an int forwards comparisons and binary operators on either side") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("value", 2);
        auto p = ns.proxy<const int>("value");

        CHECK((p < 3) == (2 < 3));
        CHECK((3 < p) == (3 < 2));
        CHECK((p <= 3) == (2 <= 3));
        CHECK((3 <= p) == (3 <= 2));
        CHECK((p == 3) == (2 == 3));
        CHECK((3 == p) == (3 == 2));
        CHECK((p != 3) == (2 != 3));
        CHECK((3 != p) == (3 != 2));
        CHECK((p > 3) == (2 > 3));
        CHECK((3 > p) == (3 > 2));
        CHECK((p >= 3) == (2 >= 3));
        CHECK((3 >= p) == (3 >= 2));
        CHECK(p + 3 == 2 + 3);
        CHECK(3 + p == 3 + 2);
        CHECK(p - 3 == 2 - 3);
        CHECK(3 - p == 3 - 2);
        CHECK(p * 3 == 2 * 3);
        CHECK(3 * p == 3 * 2);
        CHECK(p / 3 == 2 / 3);
        CHECK(3 / p == 3 / 2);
        CHECK(p % 3 == 2 % 3);
        CHECK(3 % p == 3 % 2);
        CHECK((p << 3) == (2 << 3));
        CHECK((p >> 3) == (2 >> 3));
        CHECK((p & 3) == (2 & 3));
        CHECK((3 & p) == (3 & 2));
        CHECK((p | 3) == (2 | 3));
        CHECK((3 | p) == (3 | 2));
        CHECK((p ^ 3) == (2 ^ 3));
        CHECK((3 ^ p) == (3 ^ 2));
    }

    // Ports test_proxy_uop_int (abs is a function, not an operator: std::abs(*p)).
    TEST_CASE("a proxy of an int forwards unary minus, plus and bitwise not") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("value", -2);
        auto p = ns.proxy<const int>("value");
        CHECK(-p == 2);
        CHECK(+p == -2);
        CHECK(~p == 1);
    }

    // Ports test_proxy_iop. Werkzeug returns the proxy; here the result is what the object's
    // operator returns (Example&), the very object the proxy reaches.
    TEST_CASE("compound assignments through a proxy change the object and return it") {
        IsolatedFlow flow;
        const Local ns;
        const auto stored = std::make_shared<Example>();
        ns.set("value", stored);
        auto p = ns.proxy<Example>("value");

        const std::vector<std::function<Example&(const LocalProxy<Example>&)>> ops = {
            [](const LocalProxy<Example>& x) -> Example& { return x += 2; },
            [](const LocalProxy<Example>& x) -> Example& { return x -= 2; },
            [](const LocalProxy<Example>& x) -> Example& { return x *= 2; },
            [](const LocalProxy<Example>& x) -> Example& { return x /= 2; },
            [](const LocalProxy<Example>& x) -> Example& { return x %= 2; },
            [](const LocalProxy<Example>& x) -> Example& { return x <<= 2; },
            [](const LocalProxy<Example>& x) -> Example& { return x >>= 2; },
            [](const LocalProxy<Example>& x) -> Example& { return x &= 2; },
            [](const LocalProxy<Example>& x) -> Example& { return x |= 2; },
            [](const LocalProxy<Example>& x) -> Example& { return x ^= 2; },
        };
        for (std::size_t i = 0; i != ops.size(); ++i) {
            CAPTURE(i);
            stored->value = 1;
            Example& out = ops[i](p);
            CHECK(&out == stored.get());
            CHECK(p->value == 2);
            CHECK(stored->value == 2);
        }
    }

    // Ports test_proxy_str (* and % formatting have no std::string counterpart).
    TEST_CASE("a proxy of a string concatenates with the proxy on either side") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("value", std::string("{act} %s"));
        auto p = ns.proxy<const std::string>("value");
        CHECK(p + " world" == "{act} %s world");
        CHECK("say " + p == "say {act} %s");
        CHECK(p + p == "{act} %s{act} %s");
    }

    // Ports test_proxy_list (slices, `in`, reversed() and list + list through std::vector's
    // own members and algorithms).
    TEST_CASE("a proxy of a vector forwards size, subscripts, iteration and changes") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("value", std::make_shared<std::vector<int>>(std::vector<int>{1, 2, 3}));
        auto p = ns.proxy<std::vector<int>>("value");
        CHECK(p->size() == 3);
        CHECK(p[0] == 1);
        CHECK(std::find(p.begin(), p.end(), 3) != p.end());
        CHECK(std::find(p.begin(), p.end(), 4) == p.end());
        CHECK(std::vector<int>(p.begin(), p.end()) == std::vector<int>{1, 2, 3});
        CHECK(std::vector<int>(p->rbegin(), p->rend()) == std::vector<int>{3, 2, 1});
        p[0] = 4;
        CHECK(p == std::vector<int>{4, 2, 3});
        p->pop_back(); // del p[-1]
        CHECK(p == std::vector<int>{4, 2});
        p->push_back(5); // p += [5]
        CHECK(p[2] == 5);
        p->clear(); // p[:] = []
        CHECK(p->empty());
        p->push_back(1);
        CHECK(std::vector<int>{1} == p);
        CHECK(*ns.get<std::shared_ptr<std::vector<int>>>("value") == std::vector<int>{1});
    }
}
