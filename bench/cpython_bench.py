#!/usr/bin/env python3
"""The CPython side of ctxvar's benchmark report: one round of every row, timed with timeit.

The C++ driver (`./dev bench`) runs this once per round, alternating with its own rounds, as
`/usr/bin/python3 bench/cpython_bench.py [--min-time SECONDS] [--seed N]`. Each row mirrors a
C++ row, so each ratio in the report compares like with like. Output, one record per line:

    info <what> <version or path>
    skip <module> <reason>                  greenlet or werkzeug not importable: no such rows
    time <row> <ns per operation>
    value <row> <counter> <number>

Only the standard library is used, plus greenlet and werkzeug when they are importable.
"""

import argparse
import contextvars
import gc
import platform
import random
import sys
import timeit
import tracemalloc
from contextvars import ContextVar

SIZES = (1, 8, 64, 1000, 10000)  # variables set in the context, as in the C++ rows
IDLE_GREENLETS = 1000  # greenlets alive at once for cpython/greenlet/memory/idle


def noop():
    pass


def loops_for(timer, min_time):
    """The loop count for which one timer.timeit() lasts about min_time.

    Like Timer.autorange (1, 2, 5, 10, 20, 50, ... loops until a run is long enough), but it
    stops at a tenth of min_time and scales linearly from there, so calibration costs a
    fraction of the measurement. These runs also warm up the statement (3.11 specialises
    bytecode after a few executions); none of them is reported.
    """
    number = 1
    while True:
        for n in (number, 2 * number, 5 * number):
            elapsed = timer.timeit(n)
            if elapsed >= min_time / 10:
                return max(1, round(n * min_time / elapsed))
        number *= 10


def time_ns(stmt, names, min_time):
    """ns per execution of stmt, its free names taken from the dict names.

    The statement is compiled into timeit's loop as it is, so only the operation is timed.
    The figure is total / loops and so includes timeit's loop overhead (a `for` step over
    itertools.repeat, a few ns), as any Python loop pays it. Timer.timeit disables the
    garbage collector while it times, as timeit does by default, so a collection that some
    other code would cause does not land inside a row.
    """
    timer = timeit.Timer(stmt, globals=names)
    loops = loops_for(timer, min_time)
    return timer.timeit(loops) / loops * 1e9


def traced_growth(action):
    """Bytes of traced memory still held after action(), which gets run with tracing on.

    tracemalloc counts the bytes requested from Python's allocators (PyMem_*, PyObject_*,
    PyMem_Raw*): no malloc headers nor pymalloc's rounding up to 16, which the C++ side's
    counting allocator does include. Tracing slows everything, so it is on only around
    action(). The collector is off so it cannot free unrelated garbage inside the window.
    """
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        action()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        gc.enable()


def in_fresh_context(body):
    """Run body() in a new, empty Context, so rows do not see each other's variables."""
    return contextvars.Context().run(body)


def set_vars(n):
    """n new ContextVars, each set once in the current context to its index."""
    variables = [ContextVar(f"v{i}") for i in range(n)]
    for i, var in enumerate(variables):
        var.set(i)
    return variables


# ---- Context variables ---------------------------------------------------------------------

def context_rows(n, min_time):
    """The rows of one size n, each a thunk returning one output record."""

    def get():
        var = set_vars(n)[n // 2]
        return time_ns("var.get()", {"var": var}, min_time)

    def set_reset():
        var = set_vars(n)[n // 2]
        # A value other than the one set (0..n-1): setting the very same object makes
        # CPython's trie hand back the same trie, skipping the path copy a real set pays.
        return time_ns("var.reset(var.set(i))", {"var": var, "i": n}, min_time)

    def copy():
        set_vars(n)
        return time_ns("copy_context()", {"copy_context": contextvars.copy_context}, min_time)

    def run():
        set_vars(n)
        # The copy holds the n variables; we time from the fresh context, not from inside
        # the copy (a Context cannot be entered twice).
        target = contextvars.copy_context()
        return time_ns("target.run(noop)", {"target": target, "noop": noop}, min_time)

    def memory():
        # The ContextVar objects exist before tracing; what is traced is the sets: the
        # trie CPython builds for the context (old versions are freed at once, by reference
        # counting, so only the final trie is counted) and the values. Values are the ints
        # 0..n-1; ints above 256 are allocated objects (those up to 256 are preallocated),
        # like ctxvar's boxed int. Measured once a round, outside the timing; the figure
        # varies a little between rounds at small n, as a ContextVar's hash mixes in its
        # address and so the trie's shape changes.
        variables = [ContextVar(f"v{i}") for i in range(n)]

        def sets():
            for i, var in enumerate(variables):
                var.set(i)

        return traced_growth(sets) / n

    # Each row sets its variables, and is timed, in a context of its own.
    return [
        (f"cpython/get/{n}", "time", lambda: in_fresh_context(get)),
        (f"cpython/set_reset/{n}", "time", lambda: in_fresh_context(set_reset)),
        (f"cpython/copy/{n}", "time", lambda: in_fresh_context(copy)),
        (f"cpython/run/{n}", "time", lambda: in_fresh_context(run)),
        (f"cpython/memory/{n}", "bytes_per_var", lambda: in_fresh_context(memory)),
    ]


# ---- greenlet -------------------------------------------------------------------------------

def greenlet_rows(greenlet, min_time):
    def switch():
        def bounce():
            back = greenlet.getcurrent().parent.switch
            while True:
                back()

        g = greenlet.greenlet(bounce)
        g.switch()  # start it: it stops in its first back()
        try:
            # One execution = main -> g, then g -> main: a round trip with no value.
            return time_ns("g.switch()", {"g": g}, min_time)
        finally:
            g.throw()  # GreenletExit ends it

    def create_finish():
        # Each start also maps and unmaps that 16 KiB data stack chunk (two system calls,
        # see memory_idle), which is most of the microseconds this row takes on 3.11.
        return time_ns("greenlet(noop).switch()",
                       {"greenlet": greenlet.greenlet, "noop": noop}, min_time)

    def memory_idle():
        # What tracemalloc sees of an idle greenlet (greenlet 2.0.2's source, and checked by
        # experiment): the greenlet object, its C++ part (PyMem_Malloc) and its Python frame
        # object, about 0.5 KB; and the slice of C stack it was using, which greenlet copies
        # to the heap as it switches back to its parent (StackState::copy_stack_to_heap_up_to
        # calls PyMem_Realloc, so it is traced): about 1.3 KB here, and more for a greenlet
        # parked under deeper C calls. Not seen: the 16 KiB chunk of 3.11's frame "data
        # stack" that each started greenlet gets from the arena allocator (mmap, outside
        # the traced domains), one touched page of it resident, so ~4 KB more in RSS.
        idle = [None] * IDLE_GREENLETS  # the list itself is allocated before tracing

        def park():
            greenlet.getcurrent().parent.switch()

        def start_all():
            for k in range(IDLE_GREENLETS):
                g = greenlet.greenlet(park)
                g.switch()  # it starts and switches back, suspended inside park()
                idle[k] = g

        grown = traced_growth(start_all)
        for g in idle:
            g.switch()  # resume: park() returns and the greenlet finishes
        return grown / IDLE_GREENLETS

    return [
        ("cpython/greenlet/switch", "time", switch),
        ("cpython/greenlet/create_finish", "time", create_finish),
        ("cpython/greenlet/memory/idle", "bytes_per_greenlet", memory_idle),
    ]


# ---- Werkzeug -------------------------------------------------------------------------------

class Request:
    """A stand-in for the request object an app pushes on its stack."""

    def __init__(self, id):
        self.id = id


def werkzeug_rows(local_module, min_time):
    def in_request(stmt):
        """Time stmt in a fresh context laid out like the C++ locals rows."""

        def body():
            stack = local_module.LocalStack()
            stack.push(Request(1))
            local = local_module.Local()
            for k in range(8):
                setattr(local, f"name{k}", k)
            set_vars(8)  # other variables, so the context is not only ours
            names = {
                "stack": stack,
                "local": local,
                "request": stack(),  # Werkzeug 2.2: a LocalProxy to the stack's top object
                "obj": Request(2),
            }
            return time_ns(stmt, names, min_time)

        return lambda: in_fresh_context(body)

    return [
        ("cpython/werkzeug/top", "time", in_request("stack.top.id")),
        ("cpython/werkzeug/proxy", "time", in_request("request.id")),
        ("cpython/werkzeug/get_by_name/8", "time", in_request("local.name4")),
        ("cpython/werkzeug/push_pop", "time", in_request("stack.push(obj); stack.pop()")),
    ]


# ---- Main -----------------------------------------------------------------------------------

def optional_import(name, records):
    """The module, or None after a skip record (their rows are then absent)."""
    try:
        return __import__(name, fromlist=["_"])
    except Exception as error:  # ImportError, or anything a broken install raises
        reason = f"{type(error).__name__}: {error}".replace("\n", " ")
        records.append(f"skip {name.split('.')[0]} {reason}")
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-time", type=float, default=0.1, metavar="SECONDS",
                        help="target time of each row's measurement (default 0.1)")
    parser.add_argument("--seed", type=int,
                        help="seed of the row order's shuffle (default: unseeded)")
    args = parser.parse_args()
    if args.min_time <= 0:
        parser.error("--min-time must be positive")

    records = [f"info python {platform.python_version()}"]
    rows = []
    for n in SIZES:
        rows += context_rows(n, args.min_time)

    greenlet = optional_import("greenlet", records)
    if greenlet:
        records.append(f"info greenlet {greenlet.__version__}")
        rows += greenlet_rows(greenlet, args.min_time)

    local_module = optional_import("werkzeug.local", records)
    if local_module:
        import importlib.metadata  # werkzeug.__version__ warns of its removal in 2.2
        records.append(f"info werkzeug {importlib.metadata.version('werkzeug')}")
        rows += werkzeug_rows(local_module, args.min_time)

    records.append(f"info executable {sys.executable}")
    print("\n".join(records), flush=True)

    # A shuffled order, so that no row always runs just after the same neighbour.
    random.Random(args.seed).shuffle(rows)
    for name, counter, measure in rows:
        result = measure()
        if counter == "time":
            print(f"time {name} {result:.3f}", flush=True)
        else:
            print(f"value {name} {counter} {result:.1f}", flush=True)


if __name__ == "__main__":
    main()
