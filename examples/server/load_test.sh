#!/usr/bin/env bash
# Load test for the ctxvar example server: correctness under load, then ctxvar's cost.
#
# usage: load_test.sh [--quick] [--pairs=K] [--duration=S] [--connections=C] [--threads=N]
#                     SERVER_BINARY [runtime...]        (runtimes: fiber greenlet coroutine)
#
# The servers run with --threads=N (default 2, all on the server's one CPU): the fiber runtime
# is then on ctxvar's work_stealing scheduler with fibers moving between two threads, and the
# greenlet and coroutine runtimes have two io_contexts sharing the port.
#
# --quick (what ./dev test runs): per runtime, start a server, run check_server.py against
#   it, then about 300 wrk requests over 8 connections checked by check.lua (mismatches=0,
#   errors=0), then stop it and require a clean exit. One line per runtime, then PASS/FAIL.
# Full (default): per runtime, a context-mode server and an --explicit one, both alive for
#   the whole section; K interleaved pairs of runs (context, explicit, context, ...), each C
#   connections for S seconds through check.lua. Reports median req/s of each mode and their
#   ratio (bar: context/explicit >= 0.97), latency percentiles, mismatches and errors, and
#   each server's VmRSS before the first run, after the first and after the last (bar:
#   growth from after-first to after-last <= 1024 KiB), then a markdown table for the README.
#
# Exit status: non-zero when a check fails, a run reports mismatches or errors, or a server
# does not start or stop cleanly. A missed ratio or RSS bar is printed as MISSED but does
# not fail: those are measurements, and a noisy machine can miss them.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly script_dir
readonly lua_script=$script_dir/check.lua
readonly check_server=$script_dir/check_server.py

readonly ratio_bar=0.97      # context req/s over explicit req/s, at least
readonly rss_growth_bar=1024 # KiB, after run 1 -> after the last run, at most
readonly quick_connections=8
readonly quick_responses=300 # stop wrk after this many checked responses

# usage [STATUS]: prints the header comment above; to stderr unless STATUS is 0.
usage() {
    local status=${1:-2}
    if ((status == 0)); then
        sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
    else
        sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
    fi
    exit "$status"
}

die() {
    echo "load_test: $*" >&2
    exit 2
}

# ---- options ----

quick=0 pairs=3 duration=10 connections=256 threads=2
args=()
for arg in "$@"; do
    case $arg in
    --quick) quick=1 ;;
    --pairs=*) pairs=${arg#*=} ;;
    --duration=*) duration=${arg#*=} ;;
    --connections=*) connections=${arg#*=} ;;
    --threads=*) threads=${arg#*=} ;;
    -h | --help) usage 0 ;;
    -*) die "unknown option $arg (see --help)" ;;
    *) args+=("$arg") ;;
    esac
done
((${#args[@]} >= 1)) || usage
[[ $pairs =~ ^[1-9][0-9]*$ ]] || die "--pairs wants a positive integer, not '$pairs'"
[[ $duration =~ ^[1-9][0-9]*$ ]] || die "--duration wants whole seconds, not '$duration'"
[[ $connections =~ ^[1-9][0-9]*$ ]] || die "--connections wants a positive integer, not '$connections'"
[[ $threads =~ ^[1-9][0-9]*$ ]] || die "--threads wants a positive integer, not '$threads'"
server_binary=${args[0]}
runtimes=("${args[@]:1}")
((${#runtimes[@]})) || runtimes=(fiber greenlet coroutine)
[[ -x $server_binary ]] || die "server binary '$server_binary' is missing or not executable"
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
[[ -x /usr/bin/python3 ]] || die "/usr/bin/python3 is missing (check_server.py needs it)"
[[ -r $lua_script && -x $check_server ]] || die "check.lua or check_server.py missing next to this script"

# ---- temp files and cleanup ----

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctxvar-load.XXXXXX")
declare -A server_pid=() server_port=() server_out=()
wrk_pid=

# Kills whatever this script started and is still running, then removes the temp files:
# a failed or interrupted run must not leave servers behind holding ports and CPU 0.
cleanup() {
    local name
    # wrk_pid is timeout(1), which passes SIGTERM on to wrk.
    if [[ -n $wrk_pid ]]; then kill -TERM "$wrk_pid" 2>/dev/null || true; fi
    for name in "${!server_pid[@]}"; do
        kill -KILL "${server_pid[$name]}" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- CPU pinning ----

# The server and wrk each get a core of their own so that wrk's work does not count against
# the server (and the two do not trade places between runs): server on the first CPU we may
# use, wrk on the second. With one CPU there is nothing to separate.
cpus=()
read_allowed_cpus() {
    local list part lo hi c
    local -a parts
    list=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
    IFS=, read -ra parts <<<"$list"
    for part in "${parts[@]}"; do
        if [[ $part == *-* ]]; then
            lo=${part%-*} hi=${part#*-}
            for ((c = lo; c <= hi; c++)); do cpus+=("$c"); done
        else
            cpus+=("$part")
        fi
    done
}
read_allowed_cpus
server_pin=() wrk_pin=()
if ((${#cpus[@]} >= 2)) && command -v taskset >/dev/null; then
    server_pin=(taskset -c "${cpus[0]}")
    wrk_pin=(taskset -c "${cpus[1]}")
    pinning="server: taskset -c ${cpus[0]}; wrk: taskset -c ${cpus[1]} wrk -t1"
elif ((${#cpus[@]} < 2)); then
    pinning="not pinned: only ${#cpus[@]} CPU online or usable (server and wrk -t1 share it)"
else
    pinning="not pinned: taskset is missing (server and wrk -t1 float over ${#cpus[@]} CPUs)"
fi

# ---- servers ----

# start_server NAME RUNTIME [EXTRA_FLAG...]: starts a server, waits up to 10 s for its
# "listening on 127.0.0.1:PORT ..." line and records server_pid/port/out[NAME].
# taskset execs the server, so $! is the server's own pid (its /proc/PID/status is the
# server's RSS).
start_server() {
    local name=$1 runtime=$2
    shift 2
    local out=$tmp/server-$name.out err=$tmp/server-$name.err line="" pid port i rc
    # Created first: the background job opens them a moment after it forks.
    : >"$out"
    : >"$err"
    "${server_pin[@]}" "$server_binary" --port=0 --log=/dev/null --threads="$threads" --runtime="$runtime" "$@" \
        >"$out" 2>"$err" &
    pid=$!
    server_pid[$name]=$pid
    server_out[$name]=$out
    for ((i = 0; i < 100; i++)); do
        # A whole first line (newline included) has arrived.
        if (($(wc -l <"$out") >= 1)); then
            line=$(head -n 1 "$out")
            break
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null && rc=0 || rc=$?
            unset 'server_pid[$name]'
            echo "load_test: server '$name' ($runtime${*:+ $*}) died before listening, exit status $rc;" \
                "stdout: $(head -c 500 "$out"); stderr: $(tail -c 500 "$err")" >&2
            return 1
        fi
        sleep 0.1
    done
    if [[ ! $line =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)\  ]]; then
        echo "load_test: server '$name' ($runtime${*:+ $*}) did not print 'listening on 127.0.0.1:PORT ...'" \
            "within 10 s; first line: '${line}'; stderr: $(tail -c 500 "$err")" >&2
        return 1
    fi
    port=${BASH_REMATCH[1]}
    server_port[$name]=$port
    echo "  started $name: $line (pid $pid)"
}

# exited PID: succeeds once child PID has exited (gone, or a zombie waiting to be reaped;
# kill -0 cannot tell, it succeeds on zombies).
exited() {
    [[ ! -e /proc/$1 ]] && return 0
    [[ $(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) == Z ]]
}

# stop_server NAME: SIGTERM, wait (10 s at most, then SIGKILL), and require exit status 0
# and a final "stats:" line with nothing left open, in flight or alive. Prints that line.
stop_server() {
    local name=$1 pid=${server_pid[$1]} out=${server_out[$1]} rc=0 i stats
    kill -TERM "$pid" 2>/dev/null || true
    # Polled rather than a bare wait, so that a server that never exits is a failure, not a hang.
    for ((i = 0; i < 100; i++)); do
        exited "$pid" && break
        sleep 0.1
    done
    exited "$pid" || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" || rc=$?
    unset 'server_pid[$name]'
    stats=$(grep '^stats:' "$out" | tail -n 1 || true)
    echo "  stopped $name: exit $rc; ${stats:-no stats line}"
    if ((rc != 0)); then
        echo "load_test: server '$name' exited with status $rc (want 0; 137 = killed after 10 s)" >&2
        # Its stderr holds what a sanitizer or an abort said (its log went to /dev/null).
        if [[ -s ${out%.out}.err ]]; then
            echo "load_test: the end of server '$name''s stderr:" >&2
            tail -n 60 "${out%.out}.err" | sed 's/^/    /' >&2
        fi
        return 1
    fi
    if [[ ! $stats =~ connections_open=0\ requests_in_flight=0\ live_request_ids=0( |$) ]]; then
        echo "load_test: server '$name' final stats are not all zero: '${stats:-<none>}'" >&2
        return 1
    fi
}

# rss_kib NAME: the server's VmRSS in KiB.
rss_kib() {
    awk '/^VmRSS:/ {print $2}' "/proc/${server_pid[$1]}/status"
}

# wait_idle NAME: waits (up to 10 s) until the server has closed the last run's connections,
# so that the next run starts from a quiet server and the RSS reading after a run is not
# inflated by connections still being torn down.
wait_idle() {
    /usr/bin/python3 "$check_server" --wait-idle=10 "127.0.0.1:${server_port[$1]}" >"$tmp/idle.out" 2>&1 || {
        echo "load_test: server '$1' did not go idle after a run: $(cat "$tmp/idle.out")" >&2
        return 1
    }
}

# ---- wrk ----

declare -A run=() # the key=value lines of the last run_wrk

# run_wrk NAME CONNECTIONS SECONDS [LUA_ARG...]: one wrk run against server NAME; its
# output goes to $tmp/wrk.out and its key=value results into run[...].
run_wrk() {
    local name=$1 conns=$2 secs=$3 rc=0 key value
    shift 3
    # -t1: one wrk thread on its own core. timeout: belt and braces against a stuck wrk.
    timeout --kill-after=5 $((secs + 30)) "${wrk_pin[@]}" wrk -t1 -c"$conns" -d"${secs}s" \
        -s "$lua_script" "http://127.0.0.1:${server_port[$name]}/" ${1+--} "$@" \
        >"$tmp/wrk.out" 2>"$tmp/wrk.err" &
    wrk_pid=$!
    wait "$wrk_pid" || rc=$?
    wrk_pid=
    run=()
    while IFS='=' read -r key value; do
        run[$key]=$value
    done < <(grep -E '^[a-z_0-9]+=' "$tmp/wrk.out" || true)
    # Every figure used later must be there and numeric (arithmetic on them follows).
    local missing=0
    for key in mismatches responses errors requests p50_us p90_us p99_us max_us; do
        [[ ${run[$key]:-} =~ ^[0-9]+$ ]] || missing=1
    done
    [[ ${run[rps]:-} =~ ^[0-9]+(\.[0-9]+)?$ ]] || missing=1
    if ((rc == 0 && missing)); then rc=99; fi
    if ((rc != 0)); then
        echo "load_test: wrk against '$name' failed (exit $rc, 99: its output lacks check.lua's results); output:" >&2
        cat "$tmp/wrk.out" "$tmp/wrk.err" >&2
        return 1
    fi
    if [[ -s $tmp/wrk.err ]]; then
        # check.lua describes its first mismatches on stderr.
        sed 's/^/    /' "$tmp/wrk.err" | head -n 20 >&2
    fi
}

# median of the arguments (mean of the middle two for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ms() { awk -v us="$1" 'BEGIN {printf "%.2f ms", us / 1000}'; }

# ---- the report header ----

print_header() {
    echo "# ctxvar example server load test ($1)"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- server: $server_binary"
    echo "- runtimes: ${runtimes[*]}"
    echo "- cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), ${#cpus[@]} usable: ${cpus[*]}"
    echo "- pinning: $pinning"
    echo "- server threads: $threads (--threads)"
    # Other work on the machine makes req/s swing from run to run: say how busy it was.
    echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- wrk: $(wrk -v 2>&1 | head -n 1 | sed 's/ Copyright.*//'), script check.lua"
    echo
}

# ---- quick ----

# quick_runtime RUNTIME: the --quick section for one runtime; prints its verdict line.
quick_runtime() {
    local rt=$1 name=quick-$1 ok=1 checks=skipped load=skipped why=()
    if ! start_server "$name" "$rt"; then
        echo "FAIL $rt: the server did not start"
        return 1
    fi
    # Each of its socket operations times out after 5 s; against a server that answers
    # nothing that still adds up, so the whole run is cut at 60 s.
    local rc=0
    timeout 60 /usr/bin/python3 "$check_server" "127.0.0.1:${server_port[$name]}" >"$tmp/check.out" 2>&1 || rc=$?
    if ((rc == 0)); then
        checks="$(grep -c '^ok ' "$tmp/check.out") ok"
    else
        ok=0 checks=FAILED
        why+=("check_server.py failed$( ((rc == 124)) && echo ' (cut after 60 s)')")
        grep -v '^ok ' "$tmp/check.out" | sed 's/^/    /'
    fi
    # -d 10s is only a ceiling: check.lua's max= ends the run after the 300th response.
    if run_wrk "$name" "$quick_connections" 10 "max=$quick_responses"; then
        load="responses=${run[responses]} mismatches=${run[mismatches]} errors=${run[errors]}"
        if ((run[mismatches] != 0 || run[errors] != 0 || run[responses] < quick_responses)); then
            ok=0
            why+=("wrk: $load (${run[errors_detail]}), want mismatches=0 errors=0 responses>=$quick_responses")
        fi
    else
        ok=0 load=FAILED
        why+=("wrk failed")
    fi
    if ! stop_server "$name"; then
        ok=0
        why+=("unclean stop")
    fi
    if ((ok)); then
        echo "PASS $rt: checks $checks; load $load; clean stop"
    else
        echo "FAIL $rt: checks $checks; load $load; $(
            IFS=';'
            echo "${why[*]}"
        )"
        return 1
    fi
}

run_quick() {
    local rt failed=0
    print_header "quick"
    for rt in "${runtimes[@]}"; do
        quick_runtime "$rt" || failed=1
    done
    echo
    if ((failed)); then
        echo "FAIL"
        return 1
    fi
    echo "PASS"
}

# ---- full ----

declare -A result=() # result[RUNTIME.key] for the final table
hard_failure=0

# full_runtime RUNTIME: the full section for one runtime. Returns non-zero on a hard
# failure (a server that does not start or stop cleanly, a run with mismatches or errors).
full_runtime() {
    local rt=$1 ctx=ctx-$1 exp=exp-$1 mode name i failed=0 stops=PASS
    local -a rps_ctx=() rps_exp=() p50=() p90=() p99=() pmax=()
    local mismatches=0 errors=0
    local -A rss_before=() rss_first=() rss_last=()

    echo "## $rt"
    echo
    if ! start_server "$ctx" "$rt" || ! start_server "$exp" "$rt" --explicit; then
        echo "FAIL $rt: a server did not start"
        for name in "$ctx" "$exp"; do
            [[ -n ${server_pid[$name]:-} ]] && { stop_server "$name" || true; }
        done
        echo
        return 1
    fi
    rss_before[$ctx]=$(rss_kib "$ctx")
    rss_before[$exp]=$(rss_kib "$exp")

    # Interleaved so that a drift of the machine (thermal, other load) hits both modes alike.
    for ((i = 1; i <= pairs; i++)); do
        for mode in context explicit; do
            [[ $mode == context ]] && name=$ctx || name=$exp
            if ! run_wrk "$name" "$connections" "$duration"; then
                failed=1
                break 2
            fi
            wait_idle "$name" || failed=1
            local rss
            rss=$(rss_kib "$name")
            ((i == 1)) && rss_first[$name]=$rss
            rss_last[$name]=$rss
            mismatches=$((mismatches + run[mismatches]))
            errors=$((errors + run[errors]))
            printf '  pair %d %-8s: %9s req/s  p50 %6s us  p90 %6s us  p99 %7s us  max %7s us  mismatches=%s errors=%s (%s)  RSS %s KiB\n' \
                "$i" "$mode" "${run[rps]}" "${run[p50_us]}" "${run[p90_us]}" "${run[p99_us]}" "${run[max_us]}" \
                "${run[mismatches]}" "${run[errors]}" "${run[errors_detail]}" "$rss"
            if [[ $mode == context ]]; then
                rps_ctx+=("${run[rps]}")
                p50+=("${run[p50_us]}") p90+=("${run[p90_us]}") p99+=("${run[p99_us]}") pmax+=("${run[max_us]}")
            else
                rps_exp+=("${run[rps]}")
            fi
        done
    done
    for name in "$ctx" "$exp"; do
        stop_server "$name" || failed=1 stops=FAIL
    done
    if ((${#rps_ctx[@]} == 0 || ${#rps_exp[@]} == 0)); then
        echo "FAIL $rt: no complete pair of runs"
        echo
        return 1
    fi
    ((mismatches == 0 && errors == 0)) || failed=1

    local med_ctx med_exp ratio ratio_ok growth_ctx growth_exp rss_ok_ctx rss_ok_exp
    med_ctx=$(median "${rps_ctx[@]}")
    med_exp=$(median "${rps_exp[@]}")
    ratio=$(awk -v a="$med_ctx" -v b="$med_exp" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}')
    ratio_ok=$(awk -v r="$ratio" -v bar="$ratio_bar" 'BEGIN {print (r >= bar ? "PASS" : "MISSED")}')
    growth_ctx=$((rss_last[$ctx] - rss_first[$ctx]))
    growth_exp=$((rss_last[$exp] - rss_first[$exp]))
    ((growth_ctx <= rss_growth_bar)) && rss_ok_ctx=PASS || rss_ok_ctx=MISSED
    ((growth_exp <= rss_growth_bar)) && rss_ok_exp=PASS || rss_ok_exp=MISSED
    if ((pairs == 1)); then
        # One run per server: nothing to compare "after the first" with.
        rss_ok_ctx="n/a (one run)" rss_ok_exp="n/a (one run)"
    fi

    echo
    echo "  req/s, median of $pairs: context $med_ctx, explicit $med_exp; ratio $ratio (bar >= $ratio_bar): $ratio_ok"
    echo "  latency (context, median of $pairs runs): p50 $(median "${p50[@]}") us, p90 $(median "${p90[@]}") us," \
        "p99 $(median "${p99[@]}") us, max $(median "${pmax[@]}") us"
    echo "  mismatches $mismatches, errors $errors (bar: both 0): $( ((mismatches == 0 && errors == 0)) && echo PASS || echo FAIL)"
    echo "  RSS context:  before ${rss_before[$ctx]} KiB, after run 1 ${rss_first[$ctx]} KiB," \
        "after run $pairs ${rss_last[$ctx]} KiB; growth $growth_ctx KiB (bar <= $rss_growth_bar): $rss_ok_ctx"
    echo "  RSS explicit: before ${rss_before[$exp]} KiB, after run 1 ${rss_first[$exp]} KiB," \
        "after run $pairs ${rss_last[$exp]} KiB; growth $growth_exp KiB (bar <= $rss_growth_bar): $rss_ok_exp"
    echo "  clean stops (exit 0, final stats all zero): $stops"
    echo

    result[$rt.rps_ctx]=$med_ctx result[$rt.rps_exp]=$med_exp result[$rt.ratio]=$ratio
    result[$rt.p50]=$(ms "$(median "${p50[@]}")") result[$rt.p90]=$(ms "$(median "${p90[@]}")")
    result[$rt.p99]=$(ms "$(median "${p99[@]}")")
    result[$rt.mismatches]=$mismatches result[$rt.errors]=$errors
    result[$rt.rss]="${rss_first[$ctx]} → ${rss_last[$ctx]} KiB"
    result[$rt.ratio_ok]=$ratio_ok result[$rt.rss_ok]="context $rss_ok_ctx, explicit $rss_ok_exp"
    result[$rt.ok]=$( ((failed)) && echo FAIL || echo PASS)
    return "$failed"
}

run_full() {
    local rt
    print_header "full"
    echo "- per runtime: $pairs interleaved pairs (context, explicit) of $duration s runs," \
        "$connections connections each"
    echo
    for rt in "${runtimes[@]}"; do
        full_runtime "$rt" || hard_failure=1
    done

    echo "## Summary"
    echo
    echo "| runtime | req/s (ctxvar) | req/s (explicit) | ratio | p50 | p90 | p99 | mismatches | errors | RSS after run 1 → after last run |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for rt in "${runtimes[@]}"; do
        [[ -n ${result[$rt.ok]:-} ]] || { echo "| $rt | (failed) | | | | | | | | |"; continue; }
        echo "| $rt | $(printf '%.0f' "${result[$rt.rps_ctx]}") | $(printf '%.0f' "${result[$rt.rps_exp]}") | ${result[$rt.ratio]} |" \
            "${result[$rt.p50]} | ${result[$rt.p90]} | ${result[$rt.p99]} |" \
            "${result[$rt.mismatches]} | ${result[$rt.errors]} | ${result[$rt.rss]} |"
    done
    echo
    echo "$connections connections, $duration s runs, median of $pairs; $pinning; latency of the context mode."
    echo
    echo "## Verdicts"
    echo
    for rt in "${runtimes[@]}"; do
        if [[ -z ${result[$rt.ok]:-} ]]; then
            echo "- $rt: FAIL (did not complete)"
            continue
        fi
        echo "- $rt: correctness and clean stops ${result[$rt.ok]}; ratio >= $ratio_bar ${result[$rt.ratio_ok]};" \
            "RSS growth <= $rss_growth_bar KiB: ${result[$rt.rss_ok]}"
    done
    echo
    if ((hard_failure)); then
        echo "FAIL"
        return 1
    fi
    echo "PASS (bars marked MISSED above are measurements, not failures)"
}

if ((quick)); then
    run_quick
else
    run_full
fi
