-- alertmanager_unique.lua at a fixed pace: each connection waits MS milliseconds
-- (fractional allowed) before each request, so C connections send about
-- C * 1000 / (MS + latency) requests per second. wrk 4.1 has no rate option (-R), and its
-- delay() takes whole milliseconds, so the fraction is carried over from one request to
-- the next. The latencies wrk reports exclude the wait.
--
--   wrk -t2 -c16 -d10s --latency -s alertmanager_paced.lua URL -- PAYLOAD.json RUN MS

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "alertmanager_unique.lua")

local unique_init = init
local wait_ms = 0
local owed = 0

function init(args)
  unique_init(args)
  wait_ms = assert(tonumber(args[3]), "give the milliseconds between requests after RUN")
end

function delay()
  owed = owed + wait_ms
  local whole = math.floor(owed)
  owed = owed - whole
  return whole
end
