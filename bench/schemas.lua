-- wrk script for bench/schemas.sh: events with 20 properties, the shape bench/schema-20.json
-- describes.
--
--   BENCH_MODE=single|batch  BENCH_KEY=<tenant key>  BENCH_VIOLATE=0|1  BENCH_BATCH_SIZE=100
--
-- BENCH_VIOLATE=1 makes every event break the schema once (p06 is a string, not an integer).
-- Each thread builds a pool of varied bodies in init and cycles through it. done() prints one
-- "BENCH " line: requests, seconds, ok, bad, accepted (events acknowledged), rejected items.

local mode = os.getenv("BENCH_MODE") or "batch"
local key = os.getenv("BENCH_KEY") or ""
local violate = os.getenv("BENCH_VIOLATE") == "1"
local batch_size = tonumber(os.getenv("BENCH_BATCH_SIZE") or "100")

local threads = {}
function setup(thread)
   table.insert(threads, thread)
end

function done(summary, latency, requests)
   local t = { ok = 0, bad = 0, accepted = 0, rejected = 0 }
   for _, thread in ipairs(threads) do
      for name, _ in pairs(t) do
         t[name] = t[name] + (tonumber(thread:get(name)) or 0)
      end
   end
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "BENCH requests=%d seconds=%.3f rps=%.1f ok=%d bad=%d accepted=%d rejected=%d p50_ms=%.3f p99_ms=%.3f\n",
      summary.requests, seconds, summary.requests / seconds, t.ok, t.bad, t.accepted, t.rejected,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

ok, bad, accepted, rejected = 0, 0, 0, 0

local plans = { "free", "pro", "team" }
local devices = { "desktop", "mobile", "tablet" }
local regions = { "eu", "us", "apac" }
local words = { "alpha", "beta", "gamma", "delta", "omega", "sigma" }

local function event(n)
   local p06 = violate and '"six"' or tostring(n % 1000)
   return string.format(
      '{"event_type":"checkout","metadata":{"p01":"%s","p02":"%s-%d","p03":"user-%d","p04":"%s","p05":"/p/%d",'
         .. '"p06":%s,"p07":%d,"p08":%d,"p09":%d,"p10":%d,"p11":%s,"p12":%s,"p13":%s,'
         .. '"p14":"%s","p15":"%s","p16":"%s","p17":%d.%d,"p18":{"id":"o-%d"},"p19":["%s","%s"],"p20":"%s-%d"}}',
      words[n % 6 + 1], words[(n + 1) % 6 + 1], n, n * 7, words[(n + 3) % 6 + 1], n % 97,
      p06, n % 13, n % 17, n * 3, n % 5,
      tostring(n % 2 == 0), tostring(n % 3 == 0), tostring(n % 5 == 0),
      plans[n % 3 + 1], devices[n % 3 + 1], regions[n % 3 + 1], n % 500, n % 100, n,
      words[n % 6 + 1], words[(n + 2) % 6 + 1], words[(n + 4) % 6 + 1], n)
end

local pool = {}
local cursor = 0
function init(args)
   local headers = { ["Content-Type"] = "application/json", ["X-API-Key"] = key }
   for i = 1, 64 do
      local body
      if mode == "single" then
         body = event(i * 131)
      else
         local items = {}
         for j = 1, batch_size do items[j] = event(i * 1000 + j) end
         body = '{"events":[' .. table.concat(items, ",") .. ']}'
      end
      pool[i] = wrk.format("POST", nil, headers, body)
   end
end

function request()
   cursor = cursor % #pool + 1
   return pool[cursor]
end

function response(status, headers, body)
   if status == 202 or status == 200 then
      ok = ok + 1
      if mode == "single" then
         accepted = accepted + 1
      else
         accepted = accepted + (tonumber(body:match('"accepted":(%d+)')) or 0)
         rejected = rejected + (tonumber(body:match('"rejected":(%d+)')) or 0)
      end
   else
      bad = bad + 1
   end
end
