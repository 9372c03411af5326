-- wrk script (wrk 4.1) for the ctxvar example server: load that checks every response.
--
--   wrk -t1 -c256 -d10s -s check.lua http://127.0.0.1:PORT/ [-- max=N]
--
-- Each request is GET /hello/<id> with header X-Request-Id: <id>, a fresh id per request
-- ("<thread>-<counter>-<random>", only [A-Za-z0-9._:-]). wrk does not say which request a
-- response answers, so the expected id is taken from the body ("hello /hello/<id>\n", the
-- server's view of the request line) and the response is a mismatch unless
--   status is 200, X-Request-Id (what the handler read from its context) equals it,
--   X-Child-Saw (what a child fiber/task read after a yield) equals it, X-Counter is "2",
--   and the id is one this thread sent and has not seen answered yet.
--
-- max=N: a thread calls wrk.thread:stop() once it has checked N responses, and then ends
-- the whole run at once. wrk's main thread otherwise sleeps the full -d before it joins
-- the (already stopped) threads, so a capped 10 s run would still take 10 s; it also makes
-- summary.duration, hence rps, the real length of the run. The run is ended by sending
-- SIGINT to wrk itself through LuaJIT's ffi (wrk's SIGINT handler sets its stop flag and
-- cuts the sleep short; Linux delivers a process-directed signal to the main thread, which
-- is the one sleeping with it unblocked). With -t > 1 the first thread to reach N ends the
-- run; the others stop within wrk's 100 ms stop-flag check. Without ffi the cap still stops
-- the threads and the run simply lasts -d.
--
-- done() prints machine-readable lines (load_test.sh parses them):
--   mismatches=  responses=  errors=  errors_detail=connect:..,read:..,write:..,status:..,timeout:..
--   requests=  rps=  p50_us=  p90_us=  p99_us=  max_us=
-- and the first few mismatches of each thread on stderr, to say what went wrong.

-- ---- setup phase (the main Lua state; also runs done()) ----

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_index", #threads)
end

-- ---- running phase (one Lua state per wrk thread) ----

local max_responses = nil -- from max=N
local end_run = nil       -- function that ends the whole wrk run, when ffi allows

local counter = 0         -- requests made by this thread
local salt = ""           -- random part of this thread's ids
local thread_prefix = ""  -- "<thread index>-"
local pending = {}        -- ids sent and not yet answered
local headers = {}        -- reused request header table
local reported = 0        -- mismatches already described on stderr

responses = 0             -- globals: read by done() through thread:get
mismatches = 0

local function make_end_run()
   local ok, ffi = pcall(require, "ffi")
   if not ok then return nil end
   local declared = pcall(ffi.cdef, [[
      int getpid(void);
      int kill(int pid, int sig);
   ]])
   if not declared then return nil end
   return function() ffi.C.kill(ffi.C.getpid(), 2) end -- 2 = SIGINT
end

function init(args)
   for _, arg in ipairs(args) do
      local n = arg:match("^max=(%d+)$")
      if n then
         max_responses = tonumber(n)
      else
         io.stderr:write("check.lua: unknown argument '" .. arg .. "' (want max=N)\n")
         os.exit(2)
      end
   end
   if max_responses then end_run = make_end_run() end
   local index = thread_index or 0
   math.randomseed(os.time() * 1000 + index)
   salt = string.format("%06x", math.random(0, 0xffffff))
   thread_prefix = index .. "-"
end

function request()
   counter = counter + 1
   local id = thread_prefix .. counter .. "-" .. salt
   pending[id] = true
   headers["X-Request-Id"] = id
   return wrk.format("GET", "/hello/" .. id, headers)
end

-- The value of header `name`. wrk passes header names as the server spelled them, so try
-- the expected spelling first and fall back to a case-insensitive search.
local function header(hs, name, lower)
   local v = hs[name]
   if v ~= nil then return v end
   for k, value in pairs(hs) do
      if k:lower() == lower then return value end
   end
   return nil
end

local function mismatch(why, status, hs, body)
   mismatches = mismatches + 1
   if reported < 5 then
      reported = reported + 1
      io.stderr:write(string.format(
         "check.lua: thread %s mismatch (%s): status=%s X-Request-Id=%s X-Child-Saw=%s X-Counter=%s body=%s\n",
         tostring(thread_index), why, tostring(status),
         tostring(header(hs, "X-Request-Id", "x-request-id")),
         tostring(header(hs, "X-Child-Saw", "x-child-saw")),
         tostring(header(hs, "X-Counter", "x-counter")),
         (tostring(body):gsub("\r", "\\r"):gsub("\n", "\\n"))))
   end
end

function response(status, hs, body)
   responses = responses + 1
   local id = body and body:match("^hello /hello/([A-Za-z0-9._:-]+)\n$")
   if status ~= 200 then
      mismatch("status", status, hs, body)
   elseif not id then
      mismatch("body", status, hs, body)
   elseif header(hs, "X-Request-Id", "x-request-id") ~= id then
      mismatch("X-Request-Id", status, hs, body)
   elseif header(hs, "X-Child-Saw", "x-child-saw") ~= id then
      mismatch("X-Child-Saw", status, hs, body)
   elseif header(hs, "X-Counter", "x-counter") ~= "2" then
      mismatch("X-Counter", status, hs, body)
   elseif not pending[id] then
      mismatch("id never sent or already answered", status, hs, body)
   end
   if id then pending[id] = nil end
   if max_responses and responses == max_responses then
      wrk.thread:stop()
      if end_run then end_run() end
   end
end

-- ---- done phase (the main Lua state) ----

function done(summary, latency, requests)
   local total_mismatches, total_responses = 0, 0
   for _, thread in ipairs(threads) do
      total_mismatches = total_mismatches + (thread:get("mismatches") or 0)
      total_responses = total_responses + (thread:get("responses") or 0)
   end
   local e = summary.errors
   local errors = e.connect + e.read + e.write + e.status + e.timeout
   local seconds = summary.duration / 1e6
   local rps = seconds > 0 and summary.requests / seconds or 0
   io.write(string.format("mismatches=%d\n", total_mismatches))
   io.write(string.format("responses=%d\n", total_responses))
   io.write(string.format("errors=%d\n", errors))
   io.write(string.format("errors_detail=connect:%d,read:%d,write:%d,status:%d,timeout:%d\n",
                          e.connect, e.read, e.write, e.status, e.timeout))
   io.write(string.format("requests=%d\n", summary.requests))
   io.write(string.format("rps=%.1f\n", rps))
   io.write(string.format("p50_us=%d\n", latency:percentile(50.0)))
   io.write(string.format("p90_us=%d\n", latency:percentile(90.0)))
   io.write(string.format("p99_us=%d\n", latency:percentile(99.0)))
   io.write(string.format("max_us=%d\n", latency.max))
end
