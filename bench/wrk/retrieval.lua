-- wrk script for bench/retrieval.ts (Debian's wrk 4.1, LuaJIT).
--
--   wrk -t2 -c32 -d10s -s bench/wrk/retrieval.lua URL -- PATHS_FILE [AUTHTOKEN|-] [RATE]
--
-- PATHS_FILE: one request path a line (random accounts in a fixed order); thread n of N starts
-- at line (n-1)*lines/N and walks on, wrapping. AUTHTOKEN: sent as the AUTHTOKEN header ("-":
-- none, for the A2A row whose client certificate is presented by stunnel). RATE: total requests
-- per second across all threads (0 or absent: closed loop, each connection sends as soon as its
-- last answer arrived).
--
-- Every answer that is not HTTP 200 with "status":"Success" in its body is counted as a failure.
--
-- Fixed rate (Debian has no wrk2): each thread keeps a schedule of send slots, one every
-- threads/RATE seconds from its first delay() call. delay() takes the next slot and returns the
-- milliseconds until it (wrk's timers are whole milliseconds, so a send can be up to 1 ms early);
-- request() pops the oldest outstanding slot and records how late the actual send is against it.
-- When every connection is busy waiting for answers, no delay() is called, the slots fall behind
-- and the lateness grows: that is the coordinated omission wrk2 corrects for. wrk's own latency
-- is measured from the actual send, so the caller reports the lateness p99 beside the latency p99.
local ffi = require('ffi')
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]])
local ts = ffi.new('bench_timespec')
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set('id', counter)
  table.insert(threads, thread)
end

local paths = {}
local index = 1
local headers = {}
local interval_us = 0 -- 0: closed loop
local start_us = nil
local next_slot = 0
local slots = {} -- FIFO of scheduled send times
local head, tail = 1, 0
failures = 0
answers = 0
lateness = {} -- microseconds, one per scheduled send

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  local nthreads = tonumber(args[4] or '2')
  index = math.floor((id - 1) * #paths / nthreads) + 1
  if args[2] and args[2] ~= '-' then
    headers['AUTHTOKEN'] = args[2]
  end
  local rate = tonumber(args[3] or '0')
  if rate > 0 then
    interval_us = 1e6 * nthreads / rate
  else
    delay = nil -- wrk calls delay() only if the script defines it: none for the closed loop
  end
end

function delay()
  local now = now_us()
  if start_us == nil then
    start_us = now
  end
  local slot = start_us + next_slot * interval_us
  next_slot = next_slot + 1
  tail = tail + 1
  slots[tail] = slot
  local wait = (slot - now) / 1000
  if wait < 1 then
    return 0
  end
  return math.floor(wait)
end

function request()
  if head <= tail then
    local late = now_us() - slots[head]
    slots[head] = nil
    head = head + 1
    if late < 0 then
      late = 0
    end
    lateness[#lateness + 1] = late
  end
  local p = paths[index]
  index = index + 1
  if index > #paths then
    index = 1
  end
  return wrk.format('GET', p, headers)
end

function response(status, _, body)
  answers = answers + 1
  if status ~= 200 or not string.find(body, '"status":"Success"', 1, true) then
    failures = failures + 1
  end
end

function done(summary, latency, _)
  local f, a = 0, 0
  local late = {}
  for _, t in ipairs(threads) do
    f = f + t:get('failures')
    a = a + t:get('answers')
    for _, v in ipairs(t:get('lateness')) do
      late[#late + 1] = v
    end
  end
  table.sort(late)
  local function pct(list, p)
    if #list == 0 then
      return -1
    end
    return list[math.min(#list, math.floor(#list * p / 100) + 1)]
  end
  local e = summary.errors
  io.write(
    string.format(
      'BENCH requests=%d answers=%d failures=%d socket_errors=%d duration_us=%d p50_us=%.0f p99_us=%.0f max_us=%.0f late_p50_us=%.0f late_p99_us=%.0f late_max_us=%.0f\n',
      summary.requests,
      a,
      f,
      e.connect + e.read + e.write + e.timeout,
      summary.duration,
      latency:percentile(50),
      latency:percentile(99),
      latency.max,
      pct(late, 50),
      pct(late, 99),
      pct(late, 100)
    )
  )
end
