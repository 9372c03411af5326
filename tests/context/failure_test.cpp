// Exception safety of the context core: a set (or reset) that fails part-way — an allocation
// failing at each possible point, or the value's copy throwing — leaves the current context
// exactly as it was and produces no token; and the operations documented not to allocate do not.
// Allocation failures are injected with FailAfter (alloc_failure.hpp).
#include "alloc_failure.hpp"
#include "test_helpers.hpp"

#include <ctxvar/context.hpp>
#include <ctxvar/context_var.hpp>
#include <ctxvar/switch.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace context_test;
using ctxvar::Context;
using ctxvar::ContextVar;

namespace {

// A value whose copy throws CopyError on command: while a CopyFailAfter(n) lives, the copy after
// the next n throws (once). It has no move, so moves copy too. Counts its live objects.
constinit thread_local long copy_fail_after = -1;
std::atomic<long> live_vals{0};

struct CopyError : std::runtime_error {
    CopyError() : std::runtime_error("injected copy failure") {}
};

struct Val {
    explicit Val(int x) noexcept : v(x) { ++live_vals; }
    Val(const Val& other) : v(other.v) {
        if (copy_fail_after == 0) {
            copy_fail_after = -1;
            throw CopyError();
        }
        if (copy_fail_after > 0) {
            --copy_fail_after;
        }
        ++live_vals;
    }
    Val& operator=(const Val&) = delete;
    ~Val() { --live_vals; }
    friend bool operator==(const Val& a, const Val& b) noexcept { return a.v == b.v; }
    int v;
};

class CopyFailAfter {
  public:
    explicit CopyFailAfter(long n) noexcept { copy_fail_after = n; }
    CopyFailAfter(const CopyFailAfter&) = delete;
    CopyFailAfter& operator=(const CopyFailAfter&) = delete;
    ~CopyFailAfter() { copy_fail_after = -1; }
};

enum class Failure { allocation, copy };
enum class SetForm { lvalue, rvalue, emplace };

const char* name(Failure f) {
    return f == Failure::allocation ? "allocation" : "copy";
}
const char* name(SetForm f) {
    return f == SetForm::lvalue ? "set(const T&)" : f == SetForm::rvalue ? "set(T&&)" : "emplace";
}

// A context holding `filler` int variables (and v = Val(1) when `existing`), and `expected`:
// the same contents built separately, sharing no trie node and no value with it. With `shared`,
// a copy of the context shares its snapshot while the operations are tried.
struct Fixture {
    Fixture(std::size_t filler_count, bool with_v, bool shared) : existing(with_v) {
        for (std::size_t i = 0; i != filler_count; ++i) {
            filler.emplace_back("f" + std::to_string(i));
        }
        const auto fill = [&] {
            for (std::size_t i = 0; i != filler.size(); ++i) {
                filler[i].set(static_cast<int>(i));
            }
            if (existing) {
                v.set(Val(1));
            }
        };
        ctx.run(fill);
        expected.run(fill);
        if (shared) {
            sharer = ctx.copy();
        }
    }

    // Checks, inside ctx.run, that ctx holds exactly `expected` (and v its value from before).
    void check_unchanged() const {
        CHECK(ctx == expected);
        CHECK(ctx.size() == expected.size());
        CHECK(static_cast<std::size_t>(std::distance(ctx.begin(), ctx.end())) == ctx.size());
        const Val* old = v.get_if();
        if (existing) {
            CHECK(old != nullptr);
            CHECK((old != nullptr && old->v == 1));
        } else {
            CHECK(old == nullptr);
        }
        if (sharer) {
            CHECK(*sharer == expected);
        }
    }

    std::vector<ContextVar<int>> filler;
    ContextVar<Val> v{"v"};
    const bool existing;
    Context ctx;
    Context expected;
    std::optional<Context> sharer;
};

ctxvar::Token<Val> do_set(ContextVar<Val>& v, SetForm form, const Val& value) {
    switch (form) {
    case SetForm::lvalue:
        return v.set(value);
    case SetForm::rvalue:
        return v.set(Val(value.v));
    case SetForm::emplace:
        break;
    }
    return v.emplace(value.v);
}

// Calls op() with failure `kind` injected after n = 0, 1, 2, ... successes until it succeeds;
// calls after_failure() after each failure. Returns the n op() first succeeded with.
template <class Op, class AfterFailure>
long retry_until_success(Failure kind, Op&& op, AfterFailure&& after_failure) {
    for (long n = 0;; ++n) {
        const std::string failing = std::string(name(kind)) + " failure after " + std::to_string(n);
        INFO(failing);
        REQUIRE(n < 100);
        bool failed = false;
        if (kind == Failure::allocation) {
            try {
                const FailAfter armed(n);
                op();
            } catch (const std::bad_alloc&) {
                failed = true;
            }
        } else {
            try {
                const CopyFailAfter armed(n);
                op();
            } catch (const CopyError&) {
                failed = true;
            }
        }
        if (!failed) {
            return n;
        }
        after_failure();
    }
}

// One scenario: a set of v that fails at every point, then a reset of its token that fails at
// every point. All inside ctx.run, so ctx is the current context.
void check_set_and_reset(std::size_t filler_count, bool existing, bool shared, Failure kind,
                         SetForm form) {
    const std::string scenario = std::to_string(filler_count) + " variables, v " +
                                 (existing ? "set" : "unset") + ", " +
                                 (shared ? "shared" : "unshared") + ", " + name(form);
    INFO(scenario);
    {
        Fixture f(filler_count, existing, shared);
        f.ctx.run([&] {
            const Val value(2);
            const long vals_before = live_vals;
            std::optional<ctxvar::Token<Val>> token;
            const long set_at = retry_until_success(
                kind, [&] { token.emplace(do_set(f.v, form, value)); },
                [&] {
                    CHECK_FALSE(token.has_value()); // no token from a failed set
                    CHECK(live_vals == vals_before);
                    f.check_unchanged();
                });
            CHECK(set_at >= 1); // the first allocation or copy always fails the set
            if (kind == Failure::allocation && shared) {
                CHECK(set_at >= 2); // a shared snapshot also needs a new path
            }
            REQUIRE(token.has_value());
            CHECK(f.v.get().v == 2);
            CHECK(f.ctx.size() == f.expected.size() + (existing ? 0 : 1));
            if (existing) {
                REQUIRE(token->old_value() != nullptr);
                CHECK(token->old_value()->v == 1);
            } else {
                CHECK(token->old_value() == nullptr);
            }
            if (f.sharer) {
                CHECK(*f.sharer == f.expected);
            }

            // Undo it, failing at every point (values are not copied by a reset).
            if (kind == Failure::allocation) {
                // What ctx holds now, built apart (a copy of ctx would share its snapshot).
                const Context after_set = f.expected.copy();
                after_set.run([&] { f.v.set(Val(2)); });
                REQUIRE(f.ctx == after_set);
                retry_until_success(
                    kind, [&] { f.v.reset(*token); },
                    [&] {
                        CHECK_FALSE(token->used());
                        CHECK(f.ctx == after_set);
                        CHECK(f.v.get().v == 2);
                    });
            } else {
                f.v.reset(*token);
            }
            CHECK(token->used());
            f.check_unchanged();
        });
    }
    CHECK(live_vals == 0);
}

} // namespace

TEST_SUITE("context") {
    TEST_CASE("a set that fails part-way leaves the current context exactly as it was") {
        for (const Failure kind : {Failure::allocation, Failure::copy}) {
            for (const SetForm form : {SetForm::lvalue, SetForm::rvalue, SetForm::emplace}) {
                if (kind == Failure::copy && form == SetForm::emplace) {
                    continue; // emplace copies no value
                }
                for (const std::size_t filler : {0u, 1u, 8u, 100u}) {
                    for (const bool existing : {false, true}) {
                        for (const bool shared : {false, true}) {
                            check_set_and_reset(filler, existing, shared, kind, form);
                        }
                    }
                }
            }
        }
    }

    TEST_CASE("a first set that fails leaves a flow without a context object") {
        IsolatedFlow flow;
        ContextVar<Val> v{"v"};
        for (const Failure kind : {Failure::allocation, Failure::copy}) {
            IsolatedFlow fresh;
            const Val value(3);
            std::optional<ctxvar::Token<Val>> token;
            const long set_at = retry_until_success(
                kind, [&] { token.emplace(v.set(value)); },
                [&] {
                    CHECK_FALSE(token.has_value());
                    CHECK_FALSE(flow_has_context());
                    CHECK(v.get_if() == nullptr);
                    CHECK(live_vals == 1);
                });
            CHECK(set_at >= (kind == Failure::allocation ? 2 : 1)); // box, node, context
            CHECK(flow_has_context());
            CHECK(v.get().v == 3);
            v.reset(*token);
            CHECK(v.get_if() == nullptr);
        }
        CHECK(live_vals == 0);
    }

    TEST_CASE("the injected failures are really injected") {
        // The tests above rely on these; a replacement that never failed would pass them.
        // The pointer escapes, so the compiler cannot elide the new/delete pair.
        const auto allocate_one = [] {
            auto p = std::make_unique<int>(1);
            asm volatile("" : : "r"(p.get()) : "memory");
        };
        CHECK_THROWS_AS(
            [&] {
                const FailAfter armed(0);
                allocate_one();
            }(),
            std::bad_alloc);
        CHECK(allocations_in(allocate_one) == 1);
        CHECK_THROWS_AS(
            [] {
                const CopyFailAfter armed(1);
                const Val a(1);
                const Val b(a);
                const Val c(b); // the second copy
            }(),
            CopyError);
        CHECK(live_vals == 0);
    }

    TEST_CASE("reading variables and switching contexts allocate nothing") {
        IsolatedFlow flow;
        ContextVar<int> v{"v", 1};
        ContextVar<int> unset{"unset"};
        long result = 0;
        CHECK(allocations_in(
                  [&] { result += v.get() + v.get_or(2) + (unset.get_if() == nullptr); }) == 0);
        CHECK_FALSE(flow_has_context()); // no context object for a read

        v.set(3);
        CHECK(allocations_in([&] { result += v.get() + *v.get_if() + v.get_or(4); }) == 0);

        const Context ctx = ctxvar::copy_context();
        CHECK(allocations_in([&] {
                  ctxvar::SavedContext mine = ctxvar::switch_context(ctxvar::SavedContext(ctx));
                  result += v.get();
                  ctxvar::SavedContext back = ctxvar::switch_context(std::move(mine));
                  const Context handle = ctx;
                  result += handle.size();
                  for (auto&& item : ctx) {
                      result += item.get<int>();
                  }
              }) == 0);
        CHECK(result > 0);
    }

    TEST_CASE("copies of a context allocate one context object and nothing else") {
        IsolatedFlow flow;
        ContextVar<int> v{"v"};
        // At most: context objects' storage may come from a pool of freed ones.
        CHECK(allocations_in([] { static_cast<void>(ctxvar::copy_context()); }) <= 2); // first
        CHECK(flow_has_context());
        CHECK(allocations_in([] { static_cast<void>(ctxvar::copy_context()); }) <= 1);
        v.set(1);
        const Context ctx = ctxvar::copy_context();
        CHECK(allocations_in([&] { static_cast<void>(ctx.copy()); }) <= 1);
    }

    TEST_CASE("reassigning a variable in an unshared context allocates only its value's box") {
        IsolatedFlow flow;
        std::vector<ContextVar<int>> vars;
        for (int i = 0; i != 50; ++i) {
            vars.emplace_back("v" + std::to_string(i));
            vars.back().set(i);
        }
        for (auto& var : vars) {
            CHECK(allocations_in([&] { var.set(-1); }) == 1);
            CHECK(var.get() == -1);
        }
    }
}
