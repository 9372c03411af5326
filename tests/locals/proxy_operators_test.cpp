// Tests of LocalProxy's forwarded operators: numbers, strings, containers, callables and two
// proxies together; operators T lacks are absent; on an unbound proxy each throws UnboundError.
#include "../context/test_helpers.hpp"
#include "proxy_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/errors.hpp>
#include <ctxvar/local.hpp>
#include <ctxvar/local_proxy.hpp>
#include <ctxvar/local_stack.hpp>

#include <doctest/doctest.h>

#include <compare>
#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <ranges>
#include <sstream>
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

// Which operations a proxy type P offers (checked with P = LocalProxy<...>).
template <class P, class X>
concept has_add = requires(const P& p, X x) {
    p + x;
};
template <class P, class X>
concept has_subtract = requires(const P& p, X x) {
    p - x;
};
template <class P, class X>
concept has_multiply = requires(const P& p, X x) {
    p* x;
};
template <class P, class X>
concept has_modulo = requires(const P& p, X x) {
    p % x;
};
template <class P, class X>
concept has_add_assign = requires(const P& p, X x) {
    p += x;
};
template <class P, class X>
concept has_subtract_assign = requires(const P& p, X x) {
    p -= x;
};
template <class P, class X>
concept has_shift_left_of = requires(const P& p, X x) {
    x << p;
};
template <class P>
concept has_pre_increment = requires(const P& p) {
    ++p;
};
template <class P>
concept has_post_increment = requires(const P& p) {
    p++;
};
template <class P>
concept has_pre_decrement = requires(const P& p) {
    --p;
};
template <class P>
concept has_post_decrement = requires(const P& p) {
    p--;
};
template <class P>
concept has_negate = requires(const P& p) {
    -p;
};
template <class P>
concept has_complement = requires(const P& p) {
    ~p;
};
template <class P>
concept has_not = requires(const P& p) {
    !p;
};
template <class P, class K>
concept has_subscript = requires(const P& p, K k) {
    p[k];
};
template <class P, class K, class V>
concept has_subscript_assign = requires(const P& p, K k, V v) {
    p[k] = v;
};
template <class P, class X>
concept has_less = requires(const P& p, X x) {
    p < x;
};
template <class P, class X>
concept has_three_way = requires(const P& p, X x) {
    p <=> x;
};

} // namespace

TEST_SUITE("locals") {
    TEST_CASE("a proxy of an int forwards arithmetic and bitwise operators on either side") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("n", 12);
        auto p = ns.proxy<const int>("n");
        CHECK(p + 5 == 17);
        CHECK(5 + p == 17);
        CHECK(p - 5 == 7);
        CHECK(5 - p == -7);
        CHECK(p * 3 == 36);
        CHECK(3 * p == 36);
        CHECK(p / 5 == 2);
        CHECK(60 / p == 5);
        CHECK(p % 5 == 2);
        CHECK(29 % p == 5);
        CHECK((p & 10) == 8);
        CHECK((10 & p) == 8);
        CHECK((p | 3) == 15);
        CHECK((3 | p) == 15);
        CHECK((p ^ 10) == 6);
        CHECK((10 ^ p) == 6);
        CHECK((p << 2) == 48);
        CHECK((p >> 2) == 3);
        static_assert(std::same_as<decltype(p + 1), int>);
        static_assert(std::same_as<decltype(p + 1.5), double>);
        CHECK(p + 0.5 == doctest::Approx(12.5));

        // The operators read the value in the current context at each use.
        ns.set("n", 2);
        CHECK(p + 5 == 7);
        CHECK(5 - p == 3);
    }

    TEST_CASE("a proxy of a double forwards arithmetic on either side") {
        IsolatedFlow flow;
        const LocalStack<double> stack;
        stack.push(2.0);
        auto p = stack.proxy();
        CHECK(p + 0.5 == doctest::Approx(2.5));
        CHECK(0.5 + p == doctest::Approx(2.5));
        CHECK(p - 0.5 == doctest::Approx(1.5));
        CHECK(0.5 - p == doctest::Approx(-1.5));
        CHECK(p * 1.5 == doctest::Approx(3.0));
        CHECK(1.5 * p == doctest::Approx(3.0));
        CHECK(p / 4 == doctest::Approx(0.5));
        CHECK(1.0 / p == doctest::Approx(0.5));
        CHECK(-p == doctest::Approx(-2.0));
        CHECK(+p == doctest::Approx(2.0));
        static_assert(!has_complement<decltype(p)>);
        static_assert(!has_modulo<decltype(p), int>);
        stack.push(8.0);
        CHECK(1.0 / p == doctest::Approx(0.125));
    }

    TEST_CASE("compound assignment through a callable returning int& changes that int") {
        IsolatedFlow flow;
        int n = 10;
        LocalProxy<int> p{[&]() -> int& { return n; }};
        static_assert(std::same_as<decltype(p += 1), int&>);
        CHECK(&(p += 5) == &n);
        CHECK(n == 15);
        p -= 3;
        CHECK(n == 12);
        p *= 2;
        CHECK(n == 24);
        p /= 5;
        CHECK(n == 4);
        p %= 3;
        CHECK(n == 1);
        p <<= 4;
        CHECK(n == 16);
        p >>= 2;
        CHECK(n == 4);
        p |= 3;
        CHECK(n == 7);
        p &= 5;
        CHECK(n == 5);
        p ^= 1;
        CHECK(n == 4);
        p += p; // the proxy on the right is read too: n += n
        CHECK(n == 8);
        *p = 100; // assignment itself goes through *
        CHECK(n == 100);
    }

    TEST_CASE("compound assignment through a stack of int* changes the int on top") {
        IsolatedFlow flow;
        int a = 1;
        int b = 100;
        const LocalStack<int*> stack;
        auto p = stack.proxy();
        static_assert(std::same_as<decltype(p), LocalProxy<int>>);
        stack.push(&a);
        p += 2;
        CHECK(a == 3);
        stack.push(&b);
        p *= 2;
        CHECK(b == 200);
        CHECK(a == 3);
        stack.pop();
        p -= 1;
        CHECK(a == 2);
        CHECK(b == 200);
    }

    TEST_CASE("increment and decrement forward in prefix and postfix forms") {
        IsolatedFlow flow;
        int n = 5;
        const ContextVar<int*> var{"counter"};
        var.set(&n);
        LocalProxy<int> p{var};
        static_assert(std::same_as<decltype(++p), int&>);
        static_assert(std::same_as<decltype(p++), int>);
        CHECK(&++p == &n);
        CHECK(n == 6);
        CHECK(p++ == 6);
        CHECK(n == 7);
        CHECK(&--p == &n);
        CHECK(n == 6);
        CHECK(p-- == 6);
        CHECK(n == 5);
    }

    TEST_CASE("unary minus, plus, bitwise not and logical not forward") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("n", 6);
        ns.set("zero", 0);
        ns.set("yes", true);
        auto p = ns.proxy<const int>("n");
        CHECK(-p == -6);
        CHECK(+p == 6);
        CHECK(~p == -7);
        CHECK((!p) == false);
        CHECK((!ns.proxy<const int>("zero")) == true);
        CHECK((!ns.proxy<const bool>("yes")) == false);
        static_assert(std::same_as<decltype(!p), bool>);
        static_assert(std::same_as<decltype(-p), int>);
    }

    TEST_CASE("comparisons forward with the proxy on either side, three-way included") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("n", 2);
        ns.set("x", 1.5);
        auto p = ns.proxy<const int>("n");
        CHECK(p == 2);
        CHECK(2 == p);
        CHECK(p != 3);
        CHECK(3 != p);
        CHECK(p < 3);
        CHECK(1 < p);
        CHECK(p <= 2);
        CHECK(2 <= p);
        CHECK(p > 1);
        CHECK(3 > p);
        CHECK(p >= 2);
        CHECK(2 >= p);
        CHECK_FALSE(p == 3);
        CHECK_FALSE(3 < p);
        CHECK((p <=> 3) == std::strong_ordering::less);
        CHECK((p <=> 2) == std::strong_ordering::equal);
        CHECK((3 <=> p) == std::strong_ordering::greater); // rewritten from p <=> 3
        static_assert(std::same_as<decltype(p <=> 3), std::strong_ordering>);

        auto x = ns.proxy<const double>("x");
        CHECK((x <=> 2.0) == std::partial_ordering::less);
        static_assert(std::same_as<decltype(x <=> 2.0), std::partial_ordering>);
        CHECK(p > x); // a proxy against another, of another type
    }

    TEST_CASE("a proxy of a string compares, concatenates on either side, indexes and prints") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("s", std::string("foo"));
        auto p = ns.proxy<const std::string>("s");
        CHECK(p == "foo");
        CHECK("foo" == p);
        CHECK(p == std::string("foo"));
        CHECK(p != "bar");
        CHECK(p < "goo");
        CHECK("bar" < p);
        CHECK((p <=> std::string("fop")) == std::strong_ordering::less);
        CHECK(p + "bar" == "foobar");
        CHECK("bar" + p == "barfoo");
        CHECK(p + std::string("!") == "foo!");
        CHECK(std::string("!") + p == "!foo");
        CHECK(p + 'd' == "food");
        CHECK(p[0] == 'f');
        CHECK(p[2] == 'o');
        static_assert(std::same_as<decltype(p[0]), const char&>);
        CHECK(&p[1] == &ns.get<std::string>("s")[1]);
        std::string copied;
        for (char c : p) {
            copied += c;
        }
        CHECK(copied == "foo");
        CHECK(printed(p) == "foo");
        CHECK(p->size() == 3);

        // A mutable string, through a shared_ptr.
        const auto text = std::make_shared<std::string>("ab");
        ns.set("text", text);
        auto t = ns.proxy<std::string>("text");
        t += "cd";
        t[0] = 'A';
        CHECK(*text == "Abcd");
        for (char& c : t) {
            c = static_cast<char>(c + 1);
        }
        CHECK(*text == "Bcde");
    }

    TEST_CASE("a proxy of a vector forwards subscripts, range-for, equality and size through ->") {
        IsolatedFlow flow;
        const LocalStack<std::vector<int>> stack;
        stack.push({1, 2, 3});
        auto p = stack.proxy();
        CHECK(p->size() == 3);
        CHECK(p[1] == 2);
        CHECK(p == std::vector<int>{1, 2, 3});
        CHECK(std::vector<int>{1, 2, 3} == p);
        CHECK(p != std::vector<int>{1, 2});
        CHECK(p < std::vector<int>{1, 3});
        int sum = 0;
        for (int v : p) {
            sum += v;
        }
        CHECK(sum == 6);
        static_assert(std::ranges::range<decltype(p)&>);
        static_assert(!has_subscript_assign<decltype(p), int, int>);

        stack.push({4});
        CHECK(p->size() == 1);
        CHECK(p[0] == 4);

        std::vector<int> owned{7, 8};
        LocalProxy<std::vector<int>> m{[&] { return &owned; }};
        m[0] = 70;
        for (int& v : m) {
            v += 1;
        }
        CHECK(owned == std::vector<int>{71, 9});
    }

    TEST_CASE("a proxy of a map forwards subscripts, iteration and equality") {
        IsolatedFlow flow;
        using Map = std::map<std::string, int>;
        const Local ns;
        const auto scores = std::make_shared<Map>(Map{{"a", 1}, {"b", 2}});
        ns.set("scores", scores);
        auto p = ns.proxy<Map>("scores");
        CHECK(p["a"] == 1);
        p["c"] = 3; // inserts, as map's [] does
        CHECK(scores->size() == 3);
        CHECK(p->at("c") == 3);
        CHECK(p == Map{{"a", 1}, {"b", 2}, {"c", 3}});
        CHECK(Map{{"a", 1}} != p);
        std::string keys;
        int total = 0;
        for (const auto& [key, value] : p) {
            keys += key;
            total += value;
        }
        CHECK(keys == "abc");
        CHECK(total == 6);

        // A const map has no []: nor has its proxy.
        ns.set("frozen", Map{{"x", 9}});
        auto frozen = ns.proxy<const Map>("frozen");
        static_assert(!has_subscript<decltype(frozen), const char*>);
        static_assert(has_subscript<decltype(p), const char*>);
        CHECK(frozen->at("x") == 9);
        CHECK(frozen->size() == 1);
    }

    TEST_CASE("a proxy of a callable forwards the call's arguments and result") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("add", std::function<int(int, int)>([](int a, int b) { return a + b; }));
        auto add = ns.proxy<const std::function<int(int, int)>>("add");
        CHECK(add(2, 3) == 5);
        static_assert(std::same_as<decltype(add(2, 3)), int>);

        // A lambda object on a stack; the proxy follows the top.
        const auto times = [](int a, int b) { return a * b; };
        const LocalStack<std::decay_t<decltype(times)>> lambdas;
        lambdas.push(times);
        auto call = lambdas.proxy();
        CHECK(call(4, 5) == 20);

        // Arguments are forwarded as they are given: by reference here, and the result too.
        int target = 1;
        std::function<int&(int&, int)> bump = [](int& x, int by) -> int& { return x += by; };
        LocalProxy<std::function<int&(int&, int)>> bumper{[&] { return &bump; }};
        int& result = bumper(target, 4);
        CHECK(target == 5);
        CHECK(&result == &target);

        // A mutable callable keeps its state in the object the proxy reaches.
        int calls = 0;
        std::function<int()> counter = [&calls] { return ++calls; };
        LocalProxy<std::function<int()>> count{[&]() -> std::function<int()>& { return counter; }};
        CHECK(count() == 1);
        CHECK(count() == 2);
        static_assert(!std::invocable<const decltype(count)&, int>);
    }

    TEST_CASE("two proxies combine and compare through their current objects") {
        IsolatedFlow flow;
        const Local ns;
        ns.set("a", 3);
        ns.set("b", 4);
        auto a = ns.proxy<const int>("a");
        auto b = ns.proxy<const int>("b");
        CHECK(a + b == 7);
        CHECK(b - a == 1);
        CHECK(a * b == 12);
        CHECK(a < b);
        CHECK(a != b);
        CHECK_FALSE(a == b);
        CHECK((a <=> b) == std::strong_ordering::less);
        static_assert(std::same_as<decltype(a + b), int>);

        ns.set("a", 4);
        CHECK(a == b);
        CHECK((a <=> b) == std::strong_ordering::equal);

        ns.set("s", std::string("x"));
        ns.set("t", std::string("y"));
        auto s = ns.proxy<const std::string>("s");
        auto t = ns.proxy<const std::string>("t");
        CHECK(s + t == "xy");
        CHECK(s < t);

        // Proxies over different sources, each resolved in the current context.
        const LocalStack<int> stack;
        stack.push(10);
        auto top = stack.proxy();
        CHECK(top + a == 14);
        CHECK(top > a);
        const ctxvar::Context other = ctxvar::copy_context();
        other.run([&] {
            stack.push(1);
            ns.set("a", 2);
            CHECK(top + a == 3);
            CHECK(top < a);
        });
        CHECK(top + a == 14);
    }

    TEST_CASE("a proxy offers only the operations its object's type supports") {
        IsolatedFlow flow;
        using ConstInt = LocalProxy<const int>;
        using Int = LocalProxy<int>;
        using String = LocalProxy<std::string>;
        using ConstString = LocalProxy<const std::string>;
        using Vector = LocalProxy<const std::vector<int>>;

        // Stored values are immutable: nothing that writes through a proxy of a const int.
        static_assert(has_add<ConstInt, int>);
        static_assert(!has_add_assign<ConstInt, int>);
        static_assert(!has_subtract_assign<ConstInt, int>);
        static_assert(!has_pre_increment<ConstInt>);
        static_assert(!has_post_increment<ConstInt>);
        static_assert(!has_pre_decrement<ConstInt>);
        static_assert(!has_post_decrement<ConstInt>);
        static_assert(has_add_assign<Int, int>);
        static_assert(has_pre_increment<Int> && has_post_increment<Int>);
        static_assert(has_pre_decrement<Int> && has_post_decrement<Int>);
        // Assignment rebinds nothing and does not compile; shifts forward on the left only.
        static_assert(!std::is_assignable_v<Int&, int>);
        static_assert(!has_shift_left_of<Int, int>);
        static_assert(!std::invocable<const ConstInt&>);
        static_assert(!std::ranges::range<const ConstInt&>);
        static_assert(!has_subscript<ConstInt, int>);

        // Strings: no -, ~, *, ++ or -; const ones take no += and no writes through [].
        static_assert(!has_negate<String>);
        static_assert(!has_complement<String>);
        static_assert(!has_subtract<String, int>);
        static_assert(!has_multiply<String, int>);
        static_assert(!has_pre_increment<String>);
        static_assert(!has_post_increment<String>);
        static_assert(!has_not<String>);
        static_assert(has_add_assign<String, const char*>);
        static_assert(!has_add_assign<ConstString, const char*>);
        static_assert(has_subscript<ConstString, int>);
        static_assert(!has_subscript_assign<ConstString, int, char>);
        static_assert(has_subscript_assign<String, int, char>);
        static_assert(has_less<ConstString, const char*>);
        static_assert(!has_less<ConstString, int>);
        static_assert(!has_three_way<ConstString, int>);

        // Vectors: no arithmetic.
        static_assert(!has_add<Vector, int>);
        static_assert(!has_add<Vector, std::vector<int>>);
        static_assert(!has_negate<Vector>);

        // What the asserts above allow does work.
        int n = 1;
        Int counter{[&]() -> int& { return n; }};
        ++counter;
        counter += 2;
        CHECK(n == 4);
        std::string s = "ab";
        String text{[&] { return &s; }};
        text += "c";
        text[0] = 'A';
        CHECK(s == "Abc");
    }

    TEST_CASE("every forwarded operation on an unbound proxy throws UnboundError") {
        IsolatedFlow flow;
        const char* const message = "no number here";
        int* bound_to = nullptr;
        LocalProxy<int> p{[&] { return bound_to; }, message};
        int n = 3;
        LocalProxy<int> other{[&] { return &n; }};

        CHECK_THROWS_WITH_AS(p.get(), message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(*p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p.operator->(), message, ctxvar::UnboundError);
        // Binary operators, the proxy on the left, on the right, and against a bound proxy.
        CHECK_THROWS_WITH_AS(p + 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 + p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p - 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 - p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p * 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 * p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p / 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 / p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p % 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 % p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p & 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 & p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p | 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 | p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p ^ 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 ^ p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p << 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p >> 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p + other, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(other + p, message, ctxvar::UnboundError);
        // Comparisons.
        CHECK_THROWS_WITH_AS(p == 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 == p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p != 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 != p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p < 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 < p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p <= 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 <= p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p > 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 > p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p >= 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(1 >= p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p <=> 1, message, ctxvar::UnboundError);
        // (GCC warns of a discarded result for the rewritten `0 <=> (p <=> 1)` even cast to void.)
        CHECK_THROWS_WITH_AS([&] { return 1 <=> p; }(), message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p == other, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(other < p, message, ctxvar::UnboundError);
        // Compound assignments, increments and decrements, unary operators.
        CHECK_THROWS_WITH_AS(p += 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p -= 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p *= 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p /= 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p %= 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p &= 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p |= 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p ^= 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p <<= 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p >>= 1, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(other += p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(++p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p++, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(--p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(p--, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(-p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(+p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(~p, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(!p, message, ctxvar::UnboundError);
        CHECK(n == 3); // `other += p` threw before changing anything

        // Subscripts, iteration and calls, over the other kinds of source.
        const Local ns;
        auto text = ns.proxy<const std::string>("text", message);
        CHECK_THROWS_WITH_AS(text[0], message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(text.begin(), message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(text.end(), message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(text + "x", message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS("x" + text, message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(text->size(), message, ctxvar::UnboundError);
        int visited = 0;
        CHECK_THROWS_WITH_AS(
            [&] {
                for (char c : text) {
                    visited += c;
                }
            }(),
            message, ctxvar::UnboundError);
        CHECK(visited == 0);
        const LocalStack<std::vector<int>> stack;
        auto vector = stack.proxy(message);
        CHECK_THROWS_WITH_AS(vector[0], message, ctxvar::UnboundError);
        CHECK_THROWS_WITH_AS(vector == std::vector<int>{}, message, ctxvar::UnboundError);
        const ContextVar<std::function<int(int)>> fn_var{"fn"};
        LocalProxy<const std::function<int(int)>> fn{fn_var, message};
        CHECK_THROWS_WITH_AS(fn(1), message, ctxvar::UnboundError);
        const ContextVar<std::shared_ptr<std::map<int, int>>> map_var{"map"};
        map_var.set(nullptr); // a null pointer is unbound too
        LocalProxy<std::map<int, int>> map{map_var, message};
        CHECK_THROWS_WITH_AS(map[1] = 2, message, ctxvar::UnboundError);

        // is_bound(), get_if() and printing do not throw.
        CHECK_NOTHROW(static_cast<void>(p.is_bound()));
        CHECK_FALSE(p.is_bound());
        CHECK_NOTHROW(static_cast<void>(p.get_if()));
        CHECK(p.get_if() == nullptr);
        CHECK_NOTHROW(static_cast<void>(printed(p)));
        CHECK(printed(p) == "<LocalProxy unbound>");
        CHECK(printed(text) == "<LocalProxy unbound>");
        CHECK(printed(vector) == "<LocalProxy unbound>");
        CHECK(printed(fn) == "<LocalProxy unbound>");
        CHECK(printed(map) == "<LocalProxy unbound>");
        CHECK_FALSE(map.is_bound());

        // Bound again, the same proxy works.
        int m = 41;
        bound_to = &m;
        CHECK(++p == 42);
        CHECK(printed(p) == "42");
    }
}
