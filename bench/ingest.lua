-- wrk script for bench/ingest.sh.
--
--   BENCH_MODE=health|single|batch|wrapped|segment  BENCH_KEY=<tenant key>  BENCH_BATCH_SIZE=100
--   (segment: the same events as batch, as Segment track messages to /v1/batch with Basic auth;
--   wrapped: native batches whose rows hold what segment's rows hold, to isolate the mapping)
--   wrk -t2 -c64 -d10s --latency -s bench/ingest.lua http://127.0.0.1:PORT/<path>
--
-- Each thread builds a pool of varied, realistic requests once (in init) and cycles through
-- them, so the per-request cost on the client is one table lookup in every mode, the /health
-- baseline included. Responses are checked and counted per thread; done() prints one
-- machine-readable line starting with "BENCH " that ingest.sh parses:
--   ok        responses with the expected status (200 for health, 202 for ingest)
--   bad       any other status (first one's status and body are printed)
--   accepted  events acknowledged (1 per 202 for single; the body's "accepted" for batch)
--   rejected  batch items the server rejected (must be 0: the bodies are all valid)
--   inflight  requests written whose response wrk never read (it stops mid-flight)

local mode = os.getenv("BENCH_MODE") or "single"
local key = os.getenv("BENCH_KEY") or ""  -- also BENCH_BASIC for segment (see init)
local batch_size = tonumber(os.getenv("BENCH_BATCH_SIZE") or "100")

-- ---------------------------------------------------------------- main Lua state (setup/done)

local threads = {}
local next_id = 1

function setup(thread)
   thread:set("thread_id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function done(summary, latency, requests)
   local t = { ok = 0, bad = 0, accepted = 0, rejected = 0, unparsed = 0, sent = 0, completed = 0 }
   local first_bad = ""
   for _, thread in ipairs(threads) do
      for name, _ in pairs(t) do
         t[name] = t[name] + (tonumber(thread:get(name)) or 0)
      end
      local fb = thread:get("first_bad")
      if first_bad == "" and fb and fb ~= "" then first_bad = fb end
   end
   local seconds = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      "BENCH mode=%s requests=%d seconds=%.3f rps=%.1f ok=%d bad=%d accepted=%d rejected=%d"
         .. " unparsed=%d inflight=%d err_connect=%d err_read=%d err_write=%d err_status=%d"
         .. " err_timeout=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
      mode, summary.requests, seconds, summary.requests / seconds, t.ok, t.bad, t.accepted,
      t.rejected, t.unparsed, t.sent - t.completed, e.connect, e.read, e.write, e.status,
      e.timeout, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000))
   if first_bad ~= "" then
      io.write("BENCH_FIRST_BAD " .. first_bad .. "\n")
   end
end

-- ---------------------------------------------------------------- per-thread state
-- Counters are globals of each thread's Lua state: done() reads them with thread:get().

ok, bad, accepted, rejected, unparsed, sent, completed = 0, 0, 0, 0, 0, 0, 0
first_bad = ""

local pool = {}
local pool_size = 0
local cursor = 0
local expected_status = 202

local pages = { "/", "/home", "/pricing", "/docs/getting-started", "/docs/api", "/blog/launch",
   "/blog/rust-at-scale", "/signup", "/login", "/dashboard", "/settings/billing", "/search" }
local refs = { "google", "direct", "twitter", "newsletter", "github", "hn", "bing", "linkedin" }
local countries = { "US", "DE", "FR", "GB", "IN", "BR", "JP", "CA", "NL", "ES" }
local devices = { "desktop", "mobile", "tablet" }
local browsers = { "chrome", "firefox", "safari", "edge" }
local plans = { "free", "pro", "team", "enterprise" }
local words = { "pricing", "webhook", "rate limit", "retention", "export csv", "api key",
   "dashboard", "latency", "postgres", "sqlite", "search", "alerts" }
local elements = { "cta-signup", "nav-docs", "nav-pricing", "btn-buy", "btn-copy-key", "tab-events" }
local currencies = { "USD", "EUR", "GBP" }

local function pick(list)
   return list[math.random(#list)]
end

local function hex(n)
   local s = {}
   for i = 1, n do s[i] = string.format("%x", math.random(0, 15)) end
   return table.concat(s)
end

-- One event as JSON. All strings come from the fixed lists above (nothing needs escaping).
local function event_json()
   local r = math.random(100)
   local common = string.format(
      '"user_id":"u_%d","session":"%s","country":"%s","device":"%s","browser":"%s"',
      math.random(1, 50000), hex(16), pick(countries), pick(devices), pick(browsers))
   local kind, meta
   if r <= 50 then
      kind = "page_view"
      meta = string.format('"page":"%s","ref":"%s","duration_ms":%d,%s',
         pick(pages), pick(refs), math.random(50, 30000), common)
   elseif r <= 70 then
      kind = "click"
      meta = string.format('"page":"%s","element":"%s","x":%d,"y":%d,%s',
         pick(pages), pick(elements), math.random(0, 1920), math.random(0, 1080), common)
   elseif r <= 80 then
      kind = "search"
      meta = string.format('"query":"%s %s","results":%d,%s',
         pick(words), pick(words), math.random(0, 200), common)
   elseif r <= 90 then
      kind = "api.request"
      meta = string.format('"route":"/v1/items/{id}","status":%d,"latency_ms":%.1f,"plan":"%s",%s',
         (math.random(100) <= 97) and 200 or 500, math.random() * 250, pick(plans), common)
   elseif r <= 95 then
      kind = "signup"
      meta = string.format('"plan":"%s","ref":"%s","trial":%s,%s',
         pick(plans), pick(refs), (math.random(2) == 1) and "true" or "false", common)
   else
      kind = "purchase"
      meta = string.format(
         '"order_id":"o_%s","amount":%.2f,"currency":"%s","items":[{"sku":"sku-%d","qty":%d},{"sku":"sku-%d","qty":1}],"coupon":null,%s',
         hex(10), math.random() * 500, pick(currencies), math.random(1, 999), math.random(1, 5),
         math.random(1, 999), common)
   end
   return kind, meta
end

local function native_json()
   local kind, meta = event_json()
   return string.format('{"event_type":"%s","metadata":{%s}}', kind, meta)
end

-- The same event as a Segment track message, as analytics-python sends it, but without a
-- messageId: the pool is sent over and over, and a messageId would make every repeat a
-- duplicate that stores nothing (the native bodies carry no event_id either).
local function segment_json()
   local kind, meta = event_json()
   return kind, string.format(
      '{"type":"track","event":"%s","userId":"u_%d","timestamp":"2026-12-01T10:00:00.000Z","properties":{%s},"context":{"library":{"name":"analytics-python","version":"2.4.0"}}}',
      kind, math.random(1, 50000), meta)
end

-- A native event whose metadata is what Tributary stores for segment_json()'s message (the
-- message plus the batch's sentAt): the same rows, without the protocol mapping.
local function wrapped_json()
   local kind, message = segment_json()
   return string.format('{"event_type":"%s","metadata":%s,"sentAt":"2026-12-01T10:00:01.000Z"}}',
      kind, message:sub(1, -2))
end

function init(args)
   -- thread_id: a global set by setup() through thread:set() before init runs.
   math.randomseed(os.time() * 100 + (tonumber(thread_id) or 1))
   local headers = { ["X-API-Key"] = key, ["Content-Type"] = "application/json" }
   if mode == "health" then
      expected_status = 200
      pool[1] = wrk.format("GET", wrk.path, {})
   elseif mode == "single" then
      for i = 1, 4096 do
         pool[i] = wrk.format("POST", wrk.path, headers, native_json())
      end
   elseif mode == "batch" then
      for i = 1, 64 do
         local events = {}
         for j = 1, batch_size do events[j] = native_json() end
         pool[i] = wrk.format("POST", wrk.path, headers,
            '{"events":[' .. table.concat(events, ",") .. ']}')
      end
   elseif mode == "wrapped" then
      for i = 1, 64 do
         local events = {}
         for j = 1, batch_size do events[j] = wrapped_json() end
         pool[i] = wrk.format("POST", wrk.path, headers,
            '{"events":[' .. table.concat(events, ",") .. ']}')
      end
   elseif mode == "segment" then
      expected_status = 200
      -- BENCH_BASIC: base64 of "<key>:", made by ingest.sh.
      local segment_headers = { ["Authorization"] = "Basic " .. (os.getenv("BENCH_BASIC") or ""),
         ["Content-Type"] = "application/json" }
      for i = 1, 64 do
         local messages = {}
         for j = 1, batch_size do
            local _, message = segment_json()
            messages[j] = message
         end
         pool[i] = wrk.format("POST", wrk.path, segment_headers,
            '{"batch":[' .. table.concat(messages, ",") .. '],"sentAt":"2026-12-01T10:00:01.000Z"}')
      end
   else
      error("BENCH_MODE must be health, single, batch, wrapped or segment, not " .. mode)
   end
   pool_size = #pool
end

function request()
   cursor = cursor % pool_size + 1
   sent = sent + 1
   return pool[cursor]
end

function response(status, headers, body)
   completed = completed + 1
   if status ~= expected_status then
      bad = bad + 1
      if first_bad == "" then
         first_bad = "status=" .. status .. " body=" .. string.sub(body or "", 1, 300):gsub("%s", " ")
      end
   elseif mode == "single" then
      ok = ok + 1
      accepted = accepted + 1
   elseif mode == "batch" or mode == "wrapped" or mode == "segment" then
      ok = ok + 1
      local a = tonumber(string.match(body, '"accepted"%s*:%s*(%d+)'))
      local r = tonumber(string.match(body, '"rejected"%s*:%s*(%d+)'))
      if a then accepted = accepted + a else unparsed = unparsed + 1 end
      if r then rejected = rejected + r end
   else
      ok = ok + 1
   end
end
