// Tests that awaiting children that complete without suspending runs flat: a million of them in a
// loop on a thread with a small stack, and the stack's depth measured across a loop for each way
// a child can complete without suspending.
#include "coro_helpers.hpp"

#include <ctxvar/context_var.hpp>
#include <ctxvar/coro.hpp>

#include <doctest/doctest.h>

#include <pthread.h>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>

using namespace coro_test;
using ctxvar::ContextVar;
using ctxvar::coro::sync_wait;
using ctxvar::coro::Task;

namespace {

Task<int> completes_synchronously(const ContextVar<int>& var) {
    co_return var.get();
}

Task<std::int64_t> await_in_a_loop(const ContextVar<int>& var, int iterations) {
    var.set(1);
    std::int64_t sum = 0;
    for (int i = 0; i != iterations; ++i) {
        sum += co_await completes_synchronously(var);
    }
    co_return sum;
}

// Runs f on a new thread whose stack is `bytes` long, and waits for it: a loop that nested a call
// per iteration would overflow it long before its end.
void run_on_small_stack(std::size_t bytes, std::function<void()> f) {
    pthread_attr_t attributes;
    REQUIRE(pthread_attr_init(&attributes) == 0);
    REQUIRE(pthread_attr_setstacksize(&attributes, bytes) == 0);
    pthread_t thread;
    const int created = pthread_create(
        &thread, &attributes,
        [](void* arg) -> void* {
            (*static_cast<std::function<void()>*>(arg))();
            return nullptr;
        },
        &f);
    pthread_attr_destroy(&attributes);
    REQUIRE(created == 0);
    REQUIRE(pthread_join(thread, nullptr) == 0);
}

// Awaitables that let the awaiting coroutine go on without suspending: one says so from
// await_ready, the other from await_suspend (returning false).
struct Ready {
    bool await_ready() const noexcept { return true; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    int await_resume() const noexcept { return 1; }
};
struct NoSuspension {
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<>) const noexcept { return false; }
    int await_resume() const noexcept { return 1; }
};

Task<int> plain_child() {
    co_return 1;
}
Task<int> child_awaiting_plain_child() {
    co_return co_await plain_child();
}
Task<int> child_awaiting_ready() {
    co_return co_await Ready{};
}
Task<int> child_awaiting_no_suspension() {
    co_return co_await NoSuspension{};
}

// How far the stack moved between the first and the last of `iterations` awaits of children made
// by `make_child`, probed at the same point of the loop each time: 0 when nothing nests.
template <class MakeChild>
Task<std::uintptr_t> stack_growth(MakeChild make_child, int iterations, int& sum) {
    std::uintptr_t first = 0;
    std::uintptr_t last = 0;
    for (int i = 0; i != iterations; ++i) {
        sum += co_await make_child();
        last = stack_depth_probe();
        if (i == 0) {
            first = last;
        }
    }
    co_return first > last ? first - last : last - first;
}

constexpr int growth_iterations = 1000;
// A nested resume costs at least a hundred bytes of stack per iteration, so a thousand
// iterations would move the probe by far more than this.
constexpr std::uintptr_t growth_allowed = 1024;

} // namespace

TEST_SUITE("coro") {
    TEST_CASE("a million children completing synchronously in a loop run on a 256 KiB stack") {
        constexpr int iterations = 1'000'000;
        std::int64_t sum = 0;
        run_on_small_stack(256 * 1024, [&] {
            const ContextVar<int> var{"var", 0};
            sum = sync_wait(await_in_a_loop(var, iterations));
        });
        CHECK(sum == iterations);
    }

    TEST_CASE("awaiting children that complete without suspending does not grow the stack") {
        int sum = 0;
        SUBCASE("a child that awaits nothing") {
            CHECK(sync_wait(stack_growth(plain_child, growth_iterations, sum)) < growth_allowed);
        }
        SUBCASE("a child that awaits a grandchild that awaits nothing") {
            CHECK(sync_wait(stack_growth(child_awaiting_plain_child, growth_iterations, sum)) <
                  growth_allowed);
        }
        SUBCASE("a child that awaits an awaitable ready at once") {
            CHECK(sync_wait(stack_growth(child_awaiting_ready, growth_iterations, sum)) <
                  growth_allowed);
        }
        SUBCASE("a child that awaits an awaitable whose await_suspend returns false") {
            CHECK(sync_wait(stack_growth(child_awaiting_no_suspension, growth_iterations, sum)) <
                  growth_allowed);
        }
        CHECK(sum == growth_iterations);
    }
}
