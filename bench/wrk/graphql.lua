-- wrk script: POSTs the JSON body in $BENCH_BODY to the URL given to wrk.
-- $BENCH_UNIQUE=1 sends each request as a visitor of its own (OGP-Visitor),
-- as citizens commenting would; $BENCH_DELAY_MS spaces each connection's
-- requests (a fixed offered rate). done() prints one JSON line for the
-- harness. Every request accepts gzip, as browsers' do: servers that
-- compress (ogp-pulse, its cached answers) send fewer bytes, the others
-- ignore it.
local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
local body = file:read("*a")
file:close()
local unique = os.getenv("BENCH_UNIQUE") == "1"
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept-Encoding"] = "gzip"

local thread_id = 0
local counter = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("thread_id", thread_id)
end

function request()
  if unique then
    counter = counter + 1
    -- wrk.format's headers replace wrk.headers: repeat them.
    local headers = {
      ["Content-Type"] = "application/json",
      ["Accept-Encoding"] = "gzip",
      ["OGP-Visitor"] = "bench-" .. tostring(thread_id) .. "-" .. counter,
    }
    return wrk.format(nil, nil, headers, body)
  end
  return wrk.request()
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "errors": %d, "non_2xx": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
