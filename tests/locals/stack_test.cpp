// Tests of LocalStack: push, pop and top per context, O(1) updates that copy neither the stack
// nor its elements, copy-on-write against copied contexts, release, lifetimes and failures.
#include "../context/alloc_failure.hpp"
#include "../context/test_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/local_stack.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

using namespace context_test;
using ctxvar::LocalStack;

namespace {
// Counts its copies, so a test can tell whether pushes and pops copy elements.
struct CopyCounted {
    explicit CopyCounted(int v, int& copies) noexcept : value(v), copies(&copies) {}
    CopyCounted(const CopyCounted& other) noexcept : value(other.value), copies(other.copies) {
        ++*copies;
    }
    CopyCounted& operator=(const CopyCounted&) = delete;
    int value;
    int* copies;
};

std::vector<int> contents(const LocalStack<int>& stack) {
    std::vector<int> out;
    ctxvar::Context scratch = ctxvar::copy_context();
    scratch.run([&] {
        while (std::optional<int> v = stack.pop()) {
            out.push_back(*v);
        }
    });
    return out;
}

struct Request {};
} // namespace

TEST_SUITE("locals") {
    TEST_CASE("push returns the new size; top and pop follow last in, first out") {
        IsolatedFlow flow;
        const LocalStack<int> stack;
        CHECK(stack.top() == nullptr);
        CHECK(stack.size() == 0);
        CHECK(stack.empty());
        CHECK(stack.push(42) == 1);
        CHECK(*stack.top() == 42);
        CHECK(stack.push(23) == 2);
        CHECK(*stack.top() == 23);
        CHECK(stack.size() == 2);
        CHECK(stack.pop() == 23);
        CHECK(*stack.top() == 42);
        CHECK(stack.pop() == 42);
        CHECK(stack.top() == nullptr);
        CHECK(stack.empty());
    }

    TEST_CASE("popping an empty stack gives an empty optional, again and again") {
        IsolatedFlow flow;
        LocalStack<std::string> stack;
        CHECK_FALSE(stack.pop().has_value());
        CHECK_FALSE(stack.pop().has_value());
        stack.push("a");
        CHECK(stack.pop() == "a");
        CHECK_FALSE(stack.pop().has_value());
        CHECK(stack.size() == 0);
    }

    TEST_CASE("reading an empty stack allocates nothing and creates no context") {
        IsolatedFlow flow;
        LocalStack<int> stack;
        CHECK(allocations_in([&] {
                  CHECK(stack.top() == nullptr);
                  CHECK(stack.size() == 0);
                  CHECK_FALSE(stack.pop().has_value());
                  stack.release();
              }) == 0);
        CHECK_FALSE(flow_has_context());
    }

    TEST_CASE("push and pop cost the same allocations at any depth: O(1), no stack copy") {
        IsolatedFlow flow;
        LocalStack<int> stack;
        stack.push(0);
        const long push_shallow = allocations_in([&] { stack.push(1); });
        const long pop_shallow = allocations_in([&] { stack.pop(); });
        for (int i = 0; i < 5000; ++i) {
            stack.push(i);
        }
        CHECK(allocations_in([&] { stack.push(1); }) == push_shallow);
        CHECK(allocations_in([&] { stack.pop(); }) == pop_shallow);
        CHECK(push_shallow == 1); // the new frame
        CHECK(pop_shallow == 0);  // the variable is set back to the frame below
    }

    TEST_CASE("push moves its argument in; pop copies only the popped element") {
        IsolatedFlow flow;
        int copies = 0;
        LocalStack<CopyCounted> stack;
        for (int i = 0; i < 100; ++i) {
            stack.emplace(i, copies);
        }
        CHECK(copies == 0);
        CopyCounted lvalue(100, copies);
        stack.push(lvalue);
        CHECK(copies == 1);
        copies = 0;
        std::optional<CopyCounted> top = stack.pop();
        REQUIRE(top);
        CHECK(top->value == 100);
        CHECK(copies == 1);
        CHECK(stack.top()->value == 99);
        CHECK(copies == 1);
    }

    TEST_CASE("a context copied before a push or pop keeps the stack it had") {
        IsolatedFlow flow;
        LocalStack<int> stack;
        stack.push(1);
        stack.push(2);
        ctxvar::Context two = ctxvar::copy_context();
        stack.push(3);
        ctxvar::Context three = ctxvar::copy_context();
        stack.pop();
        stack.pop();
        CHECK(contents(stack) == std::vector<int>{1});
        two.run([&] {
            CHECK(contents(stack) == std::vector<int>{2, 1});
            stack.pop(); // stays in `two`
        });
        CHECK(three.run([&] { return contents(stack); }) == std::vector<int>{3, 2, 1});
        CHECK(two.run([&] { return contents(stack); }) == std::vector<int>{1});
        CHECK(contents(stack) == std::vector<int>{1});
    }

    TEST_CASE("two stacks are separate; copies of a stack handle share one") {
        IsolatedFlow flow;
        LocalStack<int> a;
        LocalStack<int> b;
        LocalStack<int> a2 = a;
        CHECK(a == a2);
        CHECK_FALSE(a == b);
        a.push(1);
        CHECK(*a2.top() == 1);
        CHECK(b.top() == nullptr);
    }

    TEST_CASE("release empties the stack in the current context only") {
        IsolatedFlow flow;
        LocalStack<int> stack;
        stack.push(1);
        stack.push(2);
        ctxvar::Context copy = ctxvar::copy_context();
        stack.release();
        CHECK(stack.empty());
        CHECK(stack.size() == 0);
        CHECK(copy.run([&] { return stack.size(); }) == 2);
        CHECK(allocations_in([&] { stack.release(); }) == 0);
    }

    TEST_CASE("an element lives while any context holds it, and no longer") {
        IsolatedFlow flow;
        std::atomic<int> live{0};
        LocalStack<Counted> stack;
        stack.push(Counted(live, 1));
        stack.push(Counted(live, 2));
        CHECK(live == 2);
        {
            ctxvar::Context copy = ctxvar::copy_context();
            stack.pop();
            CHECK(live == 2); // the copy still holds 2
        }
        CHECK(live == 1);
        stack.release();
        CHECK(live == 0);
    }

    TEST_CASE("dropping a stack of a million elements does not recurse") {
        IsolatedFlow flow;
        LocalStack<int> stack;
        for (int i = 0; i < 1'000'000; ++i) {
            stack.push(i);
        }
        CHECK(stack.size() == 1'000'000);
        stack.release(); // frees every node; a recursive free would overflow the stack
        CHECK(stack.empty());
    }

    TEST_CASE("contexts holding equal stacks compare equal") {
        IsolatedFlow flow;
        LocalStack<std::string> stack;
        ctxvar::Context a;
        ctxvar::Context b;
        a.run([&] {
            stack.push("x");
            stack.push("y");
        });
        b.run([&] {
            stack.push("x");
            stack.push("y");
        });
        CHECK(a == b);
        b.run([&] { stack.pop(); });
        CHECK_FALSE(a == b);
        b.run([&] { stack.push("z"); });
        CHECK_FALSE(a == b);
    }

    TEST_CASE("a failed push or pop leaves the stack exactly as it was") {
        IsolatedFlow flow;
        LocalStack<std::string> stack;
        stack.push("bottom");
        stack.push("top");
        // With `shared`, a copy of the context taken before each attempt makes the update copy
        // its trie path (which allocates, so a pop can fail too); without, a pop allocates
        // nothing and cannot fail.
        for (const bool shared : {false, true}) {
            for (const bool pop : {false, true}) {
                long failures = 0;
                for (long n = 0;; ++n) {
                    std::optional<ctxvar::Context> copy;
                    if (shared) {
                        copy = ctxvar::copy_context();
                    }
                    bool threw = false;
                    std::optional<std::string> popped;
                    {
                        FailAfter fail(n);
                        try {
                            if (pop) {
                                popped = stack.pop();
                            } else {
                                stack.push(std::string(64, 'x')); // the string allocates too
                            }
                        } catch (const std::bad_alloc&) {
                            threw = true;
                        }
                    }
                    if (copy) {
                        CHECK(copy->run([&] { return stack.size(); }) == 2);
                    }
                    if (!threw) {
                        CHECK((!pop || popped == "top"));
                        break;
                    }
                    ++failures;
                    CHECK(stack.size() == 2);
                    CHECK(*stack.top() == "top");
                }
                if (pop && !shared) {
                    CHECK(failures == 0);
                } else {
                    CHECK(failures > 0);
                }
                if (pop) {
                    stack.push("top");
                } else {
                    stack.pop();
                }
            }
        }
    }

    TEST_CASE("a stack's default proxy reaches a pointer's pointee, else the const element") {
        static_assert(
            std::is_same_v<decltype(LocalStack<Request*>{}.proxy()), ctxvar::LocalProxy<Request>>);
        static_assert(std::is_same_v<decltype(LocalStack<std::shared_ptr<Request>>{}.proxy()),
                                     ctxvar::LocalProxy<Request>>);
        static_assert(
            std::is_same_v<decltype(LocalStack<int>{}.proxy()), ctxvar::LocalProxy<const int>>);
        IsolatedFlow flow;
        LocalStack<int> stack;
        auto proxy = stack.proxy("no int");
        CHECK_FALSE(proxy.is_bound());
        stack.push(5);
        CHECK(proxy.get() == 5);
        CHECK(&proxy.get() == stack.top());
    }
}
