#!/usr/bin/python3
"""Protocol checks for the ctxvar example server (examples/server).

usage: check_server.py [--only=NAME[,NAME...]] HOST:PORT
       check_server.py --wait-idle[=SECONDS] HOST:PORT

Sends hand-written requests and reads the raw responses (a small reader below, not
http.client, which hides the wire details under test: keep-alive, pipelining, who closes).
Prints one line per check, "ok <name>" or "FAIL <name>: <why>" (with the bytes sent and
received when they explain the failure), then a summary line; exits 0 when every check
passed. Every socket operation has a timeout, and every response read a deadline, so a
wrong server makes a check fail, never hang.

--wait-idle polls GET /stats until the server is idle (requests_in_flight=0,
live_request_ids=0, connections_open=1: the poll's own connection), for up to SECONDS
(default 10); exits 0 when it got there. load_test.sh uses it between runs.

Python 3 standard library only.
"""

import random
import re
import socket
import sys
import threading
import time

TIMEOUT = 5.0  # seconds, for every socket operation and every response read
MAX_HEAD = 64 * 1024  # a response header section larger than this is an error


class CheckFailed(Exception):
    pass


def show(data, limit=400):
    """The bytes for a failure message: repr, cut to `limit` characters."""
    text = repr(bytes(data))
    return text if len(text) <= limit else text[:limit] + "...(%d bytes)" % len(data)


class Response:
    def __init__(self, version, status, reason, headers, body, raw):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as sent
        self.body = body
        self.raw = raw  # every byte this response took on the wire

    def header(self, name):
        """The first header called `name` (case-insensitive), or None."""
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def header_count(self, name):
        name = name.lower()
        return sum(1 for key, _ in self.headers if key.lower() == name)


class Conn:
    """One client connection with a receive buffer and a response reader."""

    def __init__(self, addr, timeout=TIMEOUT):
        self.sock = socket.create_connection(addr, timeout=timeout)
        self.sock.settimeout(timeout)
        self.timeout = timeout
        self.buf = b""
        self.sent = b""  # everything sent, for failure messages

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sent += data
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Reads more bytes into buf; returns False at EOF."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise CheckFailed("no complete response within %.0f s; have %s" % (self.timeout, show(self.buf)))
        self.sock.settimeout(min(left, self.timeout))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise CheckFailed("timed out waiting for a response; have %s" % show(self.buf))
        except ConnectionResetError:
            raise CheckFailed("connection reset while reading a response; have %s" % show(self.buf))
        if not data:
            return False
        self.buf += data
        return True

    def read_response(self, what=None):
        """Reads one response: status line, headers, then a Content-Length body (or, with
        Connection: close and no Content-Length, the bytes up to EOF). `what` names the
        response in a failure message."""
        try:
            return self._read_response()
        except CheckFailed as e:
            if what:
                raise CheckFailed("%s: %s" % (what, e)) from None
            raise

    def _read_response(self, head_only=False):
        deadline = time.monotonic() + self.timeout
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_HEAD:
                raise CheckFailed("response header section over %d bytes: %s" % (MAX_HEAD, show(self.buf)))
            if not self._fill(deadline):
                if self.buf:
                    raise CheckFailed("connection closed inside a response: %s" % show(self.buf))
                raise CheckFailed("connection closed, no response (sent %s)" % show(self.sent))
        end = self.buf.index(b"\r\n\r\n")
        head = self.buf[:end].decode("latin-1")
        lines = head.split("\r\n")
        match = re.fullmatch(r"(HTTP/1\.[01]) (\d{3})(?: (.*))?", lines[0])
        if not match:
            raise CheckFailed("bad status line %r" % lines[0])
        headers = []
        for line in lines[1:]:
            if ":" not in line:
                raise CheckFailed("response header line without a colon: %r" % line)
            name, value = line.split(":", 1)
            headers.append((name, value.strip(" \t")))
        resp = Response(match.group(1), int(match.group(2)), match.group(3) or "", headers, b"", b"")
        body_start = end + 4
        length = resp.header("Content-Length")
        if resp.header("Transfer-Encoding") is not None:
            raise CheckFailed("response uses Transfer-Encoding (not expected): %s" % show(self.buf[:body_start]))
        if resp.header_count("Content-Length") > 1:
            raise CheckFailed("response has several Content-Length headers: %s" % show(self.buf[:body_start]))
        if head_only:  # the answer to a HEAD: no body, whatever Content-Length says
            total = body_start
        elif length is not None:
            if not re.fullmatch(r"\d{1,9}", length):
                raise CheckFailed("bad Content-Length %r" % length)
            total = body_start + int(length)
            while len(self.buf) < total:
                if not self._fill(deadline):
                    raise CheckFailed("connection closed inside a response body: %s" % show(self.buf))
        elif resp.status in (204, 304) or 100 <= resp.status < 200:
            total = body_start
        elif (resp.header("Connection") or "").lower() == "close":
            while self._fill(deadline):
                pass
            total = len(self.buf)
        else:
            raise CheckFailed("response has no Content-Length and does not close: %s" % show(self.buf[:body_start]))
        resp.body = self.buf[body_start:total]
        resp.raw = self.buf[:total]
        self.buf = self.buf[total:]
        return resp

    def closed_by_peer(self, wait=TIMEOUT):
        """True when the server closes the connection (EOF or reset) within `wait` seconds
        and sends nothing more; False when it stays open; CheckFailed on extra bytes."""
        if self.buf:
            raise CheckFailed("unexpected bytes after the response: %s" % show(self.buf))
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        if data:
            raise CheckFailed("unexpected bytes after the response: %s" % show(data))
        return True


def request(path, rid=None, method="GET", version="HTTP/1.1", extra=()):
    """The bytes of a request; `rid` None means no X-Request-Id header."""
    lines = ["%s %s %s" % (method, path, version), "Host: check"]
    if rid is not None:
        lines.append("X-Request-Id: %s" % rid)
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def expect_hello(resp, rid, path, label=""):
    """Fails unless `resp` is the server's right answer to GET `path` with id `rid`
    (`rid` None: any generated "gen-" id)."""
    where = (label + ": ") if label else ""
    problems = []
    if resp.status != 200:
        problems.append("status %d, want 200" % resp.status)
    got_id = resp.header("X-Request-Id")
    if rid is None:
        if got_id is None or not got_id.startswith("gen-"):
            problems.append("X-Request-Id %r, want gen-<n>" % got_id)
        rid = got_id
    elif got_id != rid:
        problems.append("X-Request-Id %r, want %r" % (got_id, rid))
    if resp.header("X-Child-Saw") != rid:
        problems.append("X-Child-Saw %r, want %r" % (resp.header("X-Child-Saw"), rid))
    if resp.header("X-Counter") != "2":
        problems.append("X-Counter %r, want '2'" % resp.header("X-Counter"))
    if not (resp.header("Content-Type") or "").startswith("text/plain"):
        problems.append("Content-Type %r, want text/plain" % resp.header("Content-Type"))
    want_body = ("hello %s\n" % path.split("?", 1)[0]).encode()
    if resp.body != want_body:
        problems.append("body %s, want %s" % (show(resp.body), show(want_body)))
    if problems:
        raise CheckFailed(where + "; ".join(problems) + "; response %s" % show(resp.raw))
    return rid


def expect_status(resp, statuses, label=""):
    where = (label + ": ") if label else ""
    if resp.status not in statuses:
        want = " or ".join(str(s) for s in statuses)
        raise CheckFailed("%sstatus %d, want %s; response %s" % (where, resp.status, want, show(resp.raw)))


def read_hello(conn, rid, path, label=""):
    """Reads the next response on `conn` and checks it answers GET `path` with id `rid`."""
    return expect_hello(conn.read_response(label), rid, path, label)


def read_status(conn, statuses, label=""):
    """Reads the next response on `conn` and checks its status is one of `statuses`."""
    expect_status(conn.read_response(label), statuses, label)


def unique(prefix):
    return "%s-%d-%06x" % (prefix, int(time.time() * 1000) % 10**8, random.getrandbits(24))


def get_stats(addr):
    """GET /stats on a fresh connection: a dict of int values."""
    with Conn(addr) as c:
        c.send(request("/stats", extra=("Connection: close",)))
        resp = c.read_response()
    if resp.status != 200:
        raise CheckFailed("GET /stats: status %d; response %s" % (resp.status, show(resp.raw)))
    stats = {}
    for line in resp.body.decode("latin-1").splitlines():
        if not line.strip():
            continue
        match = re.fullmatch(r"([a-z_]+)=(\d+)", line.strip())
        if not match:
            raise CheckFailed("GET /stats: line %r is not key=<number>; body %s" % (line, show(resp.body)))
        stats[match.group(1)] = int(match.group(2))
    missing = [k for k in STATS_KEYS if k not in stats]
    if missing:
        raise CheckFailed("GET /stats: missing %s; body %s" % (",".join(missing), show(resp.body)))
    return stats


STATS_KEYS = ("connections_open", "requests_in_flight", "live_request_ids", "requests", "bad_requests")


def is_idle(stats):
    # connections_open counts the /stats connection itself.
    return stats["requests_in_flight"] == 0 and stats["live_request_ids"] == 0 and stats["connections_open"] == 1


def wait_idle(addr, seconds):
    """Polls /stats until idle; returns (idle, last stats)."""
    deadline = time.monotonic() + seconds
    while True:
        stats = get_stats(addr)
        if is_idle(stats) or time.monotonic() >= deadline:
            return is_idle(stats), stats
        time.sleep(0.05)


def fmt_stats(stats):
    return " ".join("%s=%d" % (k, stats[k]) for k in STATS_KEYS)


# ---- the checks: each takes the address and raises CheckFailed (or OSError) on failure ----


def check_stats_format(addr):
    get_stats(addr)


def check_stats_not_counted(addr):
    # "GET /stats does not count as a request itself": two reads in a row, same count.
    first = get_stats(addr)["requests"]
    second = get_stats(addr)["requests"]
    if first != second:
        raise CheckFailed("requests went %d -> %d across a GET /stats" % (first, second))


def check_keep_alive(addr):
    with Conn(addr) as c:
        for i, path in enumerate(("/ka/one", "/ka/two?x=1&y=2", "/ka/three")):
            rid = unique("ka%d" % i)
            c.send(request(path, rid))
            read_hello(c, rid, path, "request %d" % (i + 1))


def check_requests_counted(addr):
    before = get_stats(addr)["requests"]
    with Conn(addr) as c:
        for i in range(3):
            rid = unique("cnt%d" % i)
            c.send(request("/count", rid))
            read_hello(c, rid, "/count")
    after = get_stats(addr)["requests"]
    if after - before != 3:
        raise CheckFailed("3 requests moved requests from %d to %d" % (before, after))


def check_pipelined(addr):
    ids = [unique("pipe1"), unique("pipe2")]
    with Conn(addr) as c:
        c.send(request("/pipe/a", ids[0]) + request("/pipe/b?delay_ms=20", ids[1]))
        read_hello(c, ids[0], "/pipe/a", "response 1")
        read_hello(c, ids[1], "/pipe/b", "response 2")


def check_pipelined_slow_first(addr):
    # The first request takes longer than the second: responses must still come in order.
    ids = [unique("pipeslow1"), unique("pipeslow2"), unique("pipeslow3")]
    with Conn(addr) as c:
        c.send(
            request("/p/1?delay_ms=80", ids[0])
            + request("/p/2", ids[1])
            + request("/p/3?delay_ms=10", ids[2])
        )
        for i, path in enumerate(("/p/1", "/p/2", "/p/3")):
            read_hello(c, ids[i], path, "response %d" % (i + 1))


def check_generated_id(addr):
    with Conn(addr) as c:
        c.send(request("/gen"))
        first = read_hello(c, None, "/gen", "request 1")
        c.send(request("/gen"))
        second = read_hello(c, None, "/gen", "request 2")
    if first == second:
        raise CheckFailed("two requests got the same generated id %r" % first)


def malformed_then_good(addr, bad_bytes, label):
    """Sends `bad_bytes`, wants a 400 on a connection that stays usable."""
    with Conn(addr) as c:
        c.send(bad_bytes)
        read_status(c, (400,), label)
        rid = unique("after")
        c.send(request("/after/bad", rid))
        read_hello(c, rid, "/after/bad", "the good request after it")


def check_malformed_request_line(addr):
    malformed_then_good(addr, b"GARBAGE\r\n\r\n", "GARBAGE")


def check_header_without_colon(addr):
    malformed_then_good(addr, b"GET /x HTTP/1.1\r\nHost: check\r\nNoColonHere\r\n\r\n", "header without a colon")


def check_bad_header_name(addr):
    malformed_then_good(addr, b"GET /x HTTP/1.1\r\nHost: check\r\nBad Name: v\r\n\r\n", "header name with a space")


def check_bad_request_id_space(addr):
    malformed_then_good(addr, request("/x", "has space"), "X-Request-Id with a space")


def check_bad_request_id_long(addr):
    malformed_then_good(addr, request("/x", "a" * 200), "X-Request-Id of 200 chars")


def check_bad_request_id_chars(addr):
    malformed_then_good(addr, request("/x", "semi;colon"), "X-Request-Id with ';'")


def check_bad_request_id_empty(addr):
    malformed_then_good(addr, b"GET /x HTTP/1.1\r\nHost: check\r\nX-Request-Id: \r\n\r\n", "empty X-Request-Id")


def check_request_id_header_case(addr):
    # Header names are case-insensitive: "x-request-id" is the same header.
    rid = unique("lower")
    with Conn(addr) as c:
        c.send(("GET /lower HTTP/1.1\r\nHost: check\r\nx-request-id: %s\r\n\r\n" % rid).encode())
        read_hello(c, rid, "/lower")


def check_request_id_128(addr):
    # 128 characters is the longest valid id: accepted as is.
    rid = ("Az09._:-" * 16)[:128]
    with Conn(addr) as c:
        c.send(request("/long/id", rid))
        read_hello(c, rid, "/long/id")


def check_transfer_encoding_chunked(addr):
    with Conn(addr) as c:
        c.send(
            b"POST /te HTTP/1.1\r\nHost: check\r\nX-Request-Id: te-1\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        )
        read_status(c, (501, 400), "Transfer-Encoding: chunked")
        if not c.closed_by_peer():
            raise CheckFailed("the connection stayed open %.0f s after the 501/400" % TIMEOUT)


def check_invalid_content_length(addr):
    with Conn(addr) as c:
        c.send(b"POST /cl HTTP/1.1\r\nHost: check\r\nX-Request-Id: cl-1\r\nContent-Length: abc\r\n\r\n")
        read_status(c, (400,), "Content-Length: abc")
        if not c.closed_by_peer():
            raise CheckFailed("the connection stayed open %.0f s after the 400" % TIMEOUT)


def check_header_too_large(addr):
    with Conn(addr) as c:
        c.send(b"GET /big HTTP/1.1\r\nHost: check\r\nX-Filler: " + b"f" * 9000 + b"\r\n\r\n")
        read_status(c, (431,), "a 9 KB header section")
        if not c.closed_by_peer():
            raise CheckFailed("the connection stayed open %.0f s after the 431" % TIMEOUT)


def check_head(addr):
    # HEAD gets GET's headers (Content-Length of the body it would have) and no body; the GET
    # sent right behind it on the same connection is answered as the next response.
    ids = [unique("head"), unique("afterhead")]
    with Conn(addr) as c:
        c.send(request("/head", ids[0], method="HEAD") + request("/after", ids[1]))
        resp = c._read_response(head_only=True)
        expect_status(resp, (200,), "HEAD")
        if resp.header("X-Request-Id") != ids[0] or resp.header("Content-Length") != str(len("hello /head\n")):
            raise CheckFailed("HEAD: headers %r" % (resp.headers,))
        read_hello(c, ids[1], "/after", "the GET after a HEAD")


def check_request_with_body(addr):
    # A Content-Length body is consumed, and the next request on the connection works.
    ids = [unique("body"), unique("afterbody")]
    with Conn(addr) as c:
        c.send(request("/body", ids[0], method="POST", extra=("Content-Length: 11",)) + b"hello world")
        read_hello(c, ids[0], "/body", "POST with a body")
        c.send(request("/next", ids[1]))
        read_hello(c, ids[1], "/next", "the request after it")


def check_http10_close(addr):
    rid = unique("h10")
    with Conn(addr) as c:
        c.send(request("/h10", rid, version="HTTP/1.0"))
        read_hello(c, rid, "/h10")
        if not c.closed_by_peer():
            raise CheckFailed("HTTP/1.0 without keep-alive: connection stayed open %.0f s" % TIMEOUT)


def check_http10_keep_alive(addr):
    with Conn(addr) as c:
        for i in range(2):
            rid = unique("h10ka%d" % i)
            c.send(request("/h10ka", rid, version="HTTP/1.0", extra=("Connection: keep-alive",)))
            read_hello(c, rid, "/h10ka", "request %d" % (i + 1))


def check_http11_connection_close(addr):
    rid = unique("close")
    with Conn(addr) as c:
        c.send(request("/close", rid, extra=("Connection: close",)))
        read_hello(c, rid, "/close")
        if not c.closed_by_peer():
            raise CheckFailed("Connection: close: connection stayed open %.0f s" % TIMEOUT)


def check_disconnect_mid_request(addr):
    # (a) a whole request whose child sleeps 300 ms, client gone at once;
    # (b) half a request line; (c) headers promising 100 body bytes, 10 sent.
    sends = [
        request("/slow?delay_ms=300", unique("gone")),
        b"GET /sl",
        request("/partial", unique("partial"), method="POST", extra=("Content-Length: 100",)) + b"0123456789",
    ]
    for data in sends:
        c = Conn(addr)
        c.send(data)
        c.close()
    idle, stats = wait_idle(addr, 5.0)
    if not idle:
        raise CheckFailed(
            "not idle 5 s after the clients left: %s (want requests_in_flight=0 "
            "live_request_ids=0 connections_open=1)" % fmt_stats(stats)
        )


def check_many_connections(addr, count=50, per_conn=4):
    # All sockets are connected first, then all talk at once; small random child delays
    # make the requests' fibers/tasks interleave inside the server.
    conns = [Conn(addr) for _ in range(count)]
    errors = []
    lock = threading.Lock()
    start = threading.Barrier(count)

    def talk(index, c):
        try:
            start.wait(TIMEOUT)
            for j in range(per_conn):
                rid = "many-%d-%d-%06x" % (index, j, random.getrandbits(24))
                path = "/many/%d/%d?delay_ms=%d" % (index, j, random.randint(0, 20))
                c.send(request(path, rid))
                read_hello(c, rid, path, "connection %d request %d" % (index, j + 1))
        except (CheckFailed, OSError, threading.BrokenBarrierError) as e:
            with lock:
                errors.append("connection %d: %s" % (index, e) if not isinstance(e, CheckFailed) else str(e))

    threads = [threading.Thread(target=talk, args=(i, c), daemon=True) for i, c in enumerate(conns)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT * (per_conn + 2))
        if any(t.is_alive() for t in threads):
            errors.append("some connections did not finish in time")
    finally:
        for c in conns:
            c.close()
    if errors:
        raise CheckFailed("%d of %d connections failed; first: %s" % (len(errors), count, errors[0]))


def check_idle_at_end(addr):
    idle, stats = wait_idle(addr, 5.0)
    if not idle:
        raise CheckFailed("not idle after every check closed its connections: %s" % fmt_stats(stats))


CHECKS = [
    ("stats_format", check_stats_format),
    ("stats_not_counted", check_stats_not_counted),
    ("keep_alive", check_keep_alive),
    ("requests_counted", check_requests_counted),
    ("pipelined", check_pipelined),
    ("pipelined_slow_first", check_pipelined_slow_first),
    ("generated_id", check_generated_id),
    ("malformed_request_line", check_malformed_request_line),
    ("header_without_colon", check_header_without_colon),
    ("bad_header_name", check_bad_header_name),
    ("bad_request_id_space", check_bad_request_id_space),
    ("bad_request_id_long", check_bad_request_id_long),
    ("bad_request_id_chars", check_bad_request_id_chars),
    ("bad_request_id_empty", check_bad_request_id_empty),
    ("request_id_header_case", check_request_id_header_case),
    ("request_id_128", check_request_id_128),
    ("request_with_body", check_request_with_body),
    ("head", check_head),
    ("transfer_encoding_chunked", check_transfer_encoding_chunked),
    ("invalid_content_length", check_invalid_content_length),
    ("header_too_large", check_header_too_large),
    ("http10_close", check_http10_close),
    ("http10_keep_alive", check_http10_keep_alive),
    ("http11_connection_close", check_http11_connection_close),
    ("disconnect_mid_request", check_disconnect_mid_request),
    ("many_connections", check_many_connections),
    ("idle_at_end", check_idle_at_end),
]


def parse_addr(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError("want HOST:PORT, got %r" % text)
    return host, int(port)


def usage(message=None):
    if message:
        print("check_server.py: %s" % message, file=sys.stderr)
    print(__doc__.strip().splitlines()[2], file=sys.stderr)
    print(__doc__.strip().splitlines()[3], file=sys.stderr)
    print("checks: " + " ".join(name for name, _ in CHECKS), file=sys.stderr)
    return 2


def main(argv):
    only = None
    wait = None
    rest = []
    for arg in argv:
        if arg.startswith("--only="):
            only = [n for n in arg[len("--only="):].split(",") if n]
        elif arg == "--wait-idle":
            wait = 10.0
        elif arg.startswith("--wait-idle="):
            wait = float(arg[len("--wait-idle="):])
        elif arg in ("-h", "--help"):
            return usage()
        elif arg.startswith("-"):
            return usage("unknown option %s" % arg)
        else:
            rest.append(arg)
    if len(rest) != 1:
        return usage("want one HOST:PORT")
    try:
        addr = parse_addr(rest[0])
    except ValueError as e:
        return usage(str(e))

    if wait is not None:
        try:
            idle, stats = wait_idle(addr, wait)
        except (CheckFailed, OSError) as e:
            print("FAIL wait_idle: %s" % e)
            return 1
        print(("idle: " if idle else "FAIL wait_idle: not idle after %g s: " % wait) + fmt_stats(stats))
        return 0 if idle else 1

    names = [name for name, _ in CHECKS]
    if only is not None:
        unknown = [n for n in only if n not in names]
        if unknown:
            return usage("unknown check(s): %s" % ",".join(unknown))
    failed = 0
    ran = 0
    for name, check in CHECKS:
        if only is not None and name not in only:
            continue
        ran += 1
        try:
            check(addr)
        except (CheckFailed, OSError) as e:
            failed += 1
            why = str(e) if isinstance(e, CheckFailed) else "%s: %s" % (type(e).__name__, e)
            print("FAIL %s: %s" % (name, why), flush=True)
        else:
            print("ok %s" % name, flush=True)
    print("check_server: %d checks, %d passed, %d failed" % (ran, ran - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
