-- POSTs a captured Alertmanager 0.25 webhook payload with a fingerprint of its own on
-- every request, so a receiver that deduplicates by fingerprint|startsAt|status (as
-- cutover-actions does) decides and journals each one instead of answering "already seen".
--
--   wrk -t2 -c16 -d10s --latency -s alertmanager_unique.lua URL -- PAYLOAD.json [RUN]
--
-- Each wrk thread has its own Lua state, so the fingerprint is made of RUN (0-255, give
-- each wrk run against one server its own), the thread's number and a per-thread counter:
-- 16 hex digits, like Alertmanager's.

local next_thread = 0

function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

local before, after
local run = 0
local sent = 0

local function load_payload(path)
  local file = assert(io.open(path, "rb"), "cannot read the payload file " .. tostring(path))
  local body = file:read("*a")
  file:close()
  local marker = '"fingerprint":"'
  local at = body:find(marker, 1, true)
  assert(at, path .. ": no \"fingerprint\" in the payload")
  local value_start = at + #marker
  local value_end = body:find('"', value_start, true)
  before, after = body:sub(1, value_start - 1), body:sub(value_end)
end

function init(args)
  load_payload(args[1])
  run = tonumber(args[2] or "0")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["User-Agent"] = "Alertmanager/0.25.0"
end

function request()
  sent = sent + 1
  local fingerprint = string.format("%02x%02x%012x", run, thread_number or 0, sent)
  return wrk.format(nil, nil, nil, before .. fingerprint .. after)
end
