-- Shared by every benchmark script: the cookie to send, and one JSON line for the driver, with
-- the latency at every percent (and 99.5, 99.9), so runs taken in turns can be pooled.
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

done = function(summary, latency, requests)
  local e = summary.errors
  local quantiles = {}
  for q = 1, 99 do
    quantiles[#quantiles + 1] = string.format("%d", latency:percentile(q))
  end
  quantiles[#quantiles + 1] = string.format("%d", latency:percentile(99.5))
  quantiles[#quantiles + 1] = string.format("%d", latency:percentile(99.9))
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p99_us": %d,'
      .. ' "max_us": %d, "status_errors": %d, "socket_errors": %d, "quantiles_us": [%s]}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout, table.concat(quantiles, ",")))
end
