// Tests of LocalProxy's sources: which stored types reach which proxied type (values, raw and
// shared pointers, optionals, callables), errors for the others, and handles and lifetimes.
#include "../context/alloc_failure.hpp"
#include "../context/test_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/local.hpp>
#include <ctxvar/local_proxy.hpp>
#include <ctxvar/local_stack.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

using namespace context_test;
using ctxvar::LocalProxy;

namespace {
struct Base {
    virtual ~Base() = default;
    virtual std::string kind() const { return "base"; }
};
struct Derived : Base {
    std::string kind() const override { return "derived"; }
};
struct User {
    std::string name;
    int visits = 0;
};

template <class P, class Source>
concept proxy_from = std::constructible_from<P, const Source&>;
} // namespace

TEST_SUITE("locals") {
    TEST_CASE("which proxied types a typed source can give is checked at compile time") {
        // A stored value is immutable: only a proxy of the const type reaches it.
        static_assert(proxy_from<LocalProxy<const int>, ctxvar::ContextVar<int>>);
        static_assert(!proxy_from<LocalProxy<int>, ctxvar::ContextVar<int>>);
        // Pointer-like values give their (mutable) pointee.
        static_assert(proxy_from<LocalProxy<User>, ctxvar::ContextVar<User*>>);
        static_assert(proxy_from<LocalProxy<User>, ctxvar::ContextVar<std::shared_ptr<User>>>);
        static_assert(proxy_from<LocalProxy<User>, ctxvar::ContextVar<std::unique_ptr<User>>>);
        static_assert(proxy_from<LocalProxy<const User>, ctxvar::ContextVar<const User*>>);
        static_assert(!proxy_from<LocalProxy<User>, ctxvar::ContextVar<const User*>>);
        static_assert(proxy_from<LocalProxy<Base>, ctxvar::LocalStack<Derived*>>);
        static_assert(proxy_from<LocalProxy<const User>, ctxvar::LocalStack<std::optional<User>>>);
        static_assert(!proxy_from<LocalProxy<User>, ctxvar::LocalStack<int*>>);
    }

    TEST_CASE("a proxy looks its object up afresh in whatever context is current") {
        IsolatedFlow flow;
        ctxvar::ContextVar<std::string> name{"name"};
        LocalProxy<const std::string> proxy{name};
        ctxvar::Context a;
        ctxvar::Context b;
        a.run([&] { name.set("in a"); });
        b.run([&] { name.set("in b"); });
        CHECK(a.run([&] { return proxy.get(); }) == "in a");
        CHECK(b.run([&] { return proxy.get(); }) == "in b");
        CHECK_FALSE(proxy.is_bound());
    }

    TEST_CASE("a proxy over a variable with a default is bound to the default") {
        IsolatedFlow flow;
        ctxvar::ContextVar<int> level{"level", 3};
        LocalProxy<const int> proxy{level};
        CHECK(proxy.is_bound());
        CHECK(proxy.get() == 3);
        level.set(4);
        CHECK(proxy.get() == 4);
        CHECK(&proxy.get() == level.get_if());
    }

    TEST_CASE("a null pointer or an empty optional stored in the source means unbound") {
        IsolatedFlow flow;
        ctxvar::ContextVar<User*> raw{"raw", nullptr};
        ctxvar::ContextVar<std::shared_ptr<User>> shared{"shared", nullptr};
        ctxvar::ContextVar<std::optional<User>> maybe{"maybe", std::nullopt};
        LocalProxy<User> p1{raw};
        LocalProxy<User> p2{shared};
        LocalProxy<const User> p3{maybe};
        CHECK_FALSE(p1.is_bound());
        CHECK_FALSE(p2.is_bound());
        CHECK_FALSE(p3.is_bound());
        CHECK_THROWS_AS(p3->name, ctxvar::UnboundError);
        maybe.set(User{"ann"});
        CHECK(p3->name == "ann");
    }

    TEST_CASE("a mutable object behind a shared_ptr is changed through the proxy") {
        IsolatedFlow flow;
        ctxvar::ContextVar<std::shared_ptr<User>> current{"current"};
        LocalProxy<User> user{current};
        auto ann = std::make_shared<User>(User{"ann"});
        current.set(ann);
        user->visits += 2;
        ++user->visits;
        CHECK(ann->visits == 3);
        CHECK(&*user == ann.get());
    }

    TEST_CASE("a stack of derived pointers proxies as the base and dispatches virtually") {
        IsolatedFlow flow;
        ctxvar::LocalStack<Derived*> stack;
        LocalProxy<Base> base{stack};
        Derived d;
        stack.push(&d);
        CHECK(base->kind() == "derived");
        CHECK(&base.get() == static_cast<Base*>(&d));
    }

    TEST_CASE("a Local's name reaches the proxied type through every documented stored type") {
        IsolatedFlow flow;
        ctxvar::Local local;
        User ann{"ann"};
        auto bob = std::make_shared<User>(User{"bob"});
        auto cat = std::make_shared<const User>(User{"cat"});
        const User dan{"dan"};

        local.set("value", User{"eve"});
        local.set("raw", &ann);
        local.set("shared", bob);
        local.set("shared_const", cat);
        local.set("raw_const", &dan);

        CHECK(local.proxy<const User>("value")->name == "eve");
        CHECK(local.proxy<User>("raw")->name == "ann");
        CHECK(local.proxy<const User>("raw")->name == "ann");
        CHECK(local.proxy<User>("shared")->name == "bob");
        CHECK(local.proxy<const User>("shared")->name == "bob");
        CHECK(local.proxy<const User>("shared_const")->name == "cat");
        CHECK(local.proxy<const User>("raw_const")->name == "dan");

        local.proxy<User>("raw")->visits = 5;
        CHECK(ann.visits == 5);
    }

    TEST_CASE("a Local's name of another type throws invalid_argument, not UnboundError") {
        IsolatedFlow flow;
        ctxvar::Local local;
        const User dan{"dan"};
        local.set("value", User{"eve"});
        local.set("raw_const", &dan);
        local.set("number", 1);
        // A mutable proxy cannot reach an immutable value or a pointer to const.
        CHECK_THROWS_WITH_AS(local.proxy<User>("value").get(),
                             doctest::Contains("cannot use 'value' in this Local"),
                             std::invalid_argument);
        CHECK_THROWS_AS(local.proxy<User>("raw_const").get(), std::invalid_argument);
        CHECK_THROWS_AS(local.proxy<const User>("number").is_bound(), std::invalid_argument);
        // A missing name is unbound.
        auto missing = local.proxy<User>("missing", "no user");
        CHECK_FALSE(missing.is_bound());
        CHECK_THROWS_WITH_AS(missing.get(), "no user", ctxvar::UnboundError);
        // A null pointer is unbound.
        local.set("null", static_cast<User*>(nullptr));
        CHECK_FALSE(local.proxy<User>("null").is_bound());
    }

    TEST_CASE("a proxy made with the constructor names the Local's value like proxy() does") {
        IsolatedFlow flow;
        ctxvar::Local local;
        LocalProxy<const std::string> user{local, "user"};
        LocalProxy<const std::string> user2{local, "user", "Working outside of request context."};
        CHECK_THROWS_WITH_AS(user.get(), "object is not bound", ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(user2.get(), "Working outside of request context.",
                             ctxvar::UnboundError);
        local.set("user", std::string{"ann"});
        CHECK(user.get() == "ann");
        CHECK(user2.get() == "ann");
    }

    TEST_CASE("a callable source returns T&, T* (null: unbound) or a long-lived pointer") {
        IsolatedFlow flow;
        User ann{"ann"};
        User* current = nullptr;
        LocalProxy<User> by_ref{[&]() -> User& { return ann; }};
        LocalProxy<User> by_pointer{[&] { return current; }};
        auto holder = std::make_shared<User>(User{"bob"});
        LocalProxy<User> by_shared_ref{[&]() -> const std::shared_ptr<User>& { return holder; }};

        CHECK(&by_ref.get() == &ann);
        CHECK_FALSE(by_pointer.is_bound());
        current = &ann;
        CHECK(by_pointer->name == "ann");
        CHECK(by_shared_ref->name == "bob");
        holder.reset();
        CHECK_FALSE(by_shared_ref.is_bound());

        // Returned by value, an object or an owning pointer would die before the proxy used it.
        auto owning = [] { return std::make_shared<User>(); };
        auto by_value = [] { return User{}; };
        static_assert(!std::is_constructible_v<LocalProxy<User>, decltype(owning)>);
        static_assert(!std::is_constructible_v<LocalProxy<const User>, decltype(by_value)>);
        // A reference to a const object needs a proxy of the const type.
        auto const_ref = [&]() -> const User& { return ann; };
        static_assert(!std::is_constructible_v<LocalProxy<User>, decltype(const_ref)>);
        static_assert(std::is_constructible_v<LocalProxy<const User>, decltype(const_ref)>);
    }

    TEST_CASE("an exception from a callable source reaches the caller of any use") {
        IsolatedFlow flow;
        LocalProxy<int> failing{[]() -> int* { throw Boom(); }};
        CHECK_THROWS_AS(failing.is_bound(), Boom);
        CHECK_THROWS_AS(failing.get(), Boom);
        std::ostringstream out;
        CHECK_THROWS_AS(out << failing, Boom);
    }

    TEST_CASE("copies of a proxy share its source; a moved-from proxy still works") {
        IsolatedFlow flow;
        ctxvar::LocalStack<int> stack;
        LocalProxy<const int> a{stack, "empty"};
        LocalProxy<const int> b = a;
        LocalProxy<const int> c = std::move(a);
        stack.push(1);
        CHECK(a.get() == 1); // NOLINT(bugprone-use-after-move): a move is a copy, documented
        CHECK(b.get() == 1);
        CHECK(c.get() == 1);
        CHECK(c.unbound_message() == "empty");
        LocalProxy<const int> d{stack};
        d = std::move(b);
        CHECK(b.unbound_message() == "empty"); // NOLINT(bugprone-use-after-move)
        CHECK(d.unbound_message() == "empty");
    }

    TEST_CASE("a proxy outlives the stack handle and the local it was made from") {
        IsolatedFlow flow;
        std::optional<LocalProxy<const int>> from_stack;
        std::optional<LocalProxy<const int>> from_local;
        {
            ctxvar::LocalStack<int> stack;
            ctxvar::Local local;
            stack.push(7);
            local.set("n", 8);
            from_stack.emplace(stack);
            from_local.emplace(local.proxy<const int>("n"));
        }
        CHECK(from_stack->get() == 7);
        CHECK(from_local->get() == 8);
    }

    TEST_CASE("reading through a bound proxy allocates nothing") {
        IsolatedFlow flow;
        ctxvar::LocalStack<User*> stack;
        ctxvar::Local local;
        LocalProxy<User> request{stack};
        LocalProxy<const int> n{local, "n"};
        User ann{"ann"};
        stack.push(&ann);
        local.set("n", 3);
        CHECK(allocations_in([&] {
                  CHECK(request.is_bound());
                  CHECK(request->visits == 0);
                  CHECK(n.get() == 3);
              }) == 0);
    }
}
