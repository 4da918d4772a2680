-- wrk script: every thread requests its share of the paths in a file, once, then stops.
-- wrk -t T -c C -d 300s -s bench/tiles.lua URL -- PATHS_FILE T [METHOD]
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  -- wrk calls request() once to check the script before any connection starts: a filler first
  -- path absorbs that call (or is sent once, harmlessly, and not counted)
  paths = { "/healthz" }
  local k, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % k == id then table.insert(paths, line) end
    i = i + 1
  end
  method = args[3] or "GET"
  idx, answered = 0, 0
end

-- once a thread's share is out, its connections ask /healthz (cheap, not counted) until the
-- last real answer is in: no real request is cut off and none is sent twice
function request()
  idx = idx + 1
  if idx > #paths or idx == 1 then return wrk.format("GET", "/healthz") end
  return wrk.format(method, paths[idx], { ["Accept-Encoding"] = "gzip" })
end

function response(status, headers, body)
  if body ~= '{"status":"ok"}' then answered = answered + 1 end
  if answered >= #paths - 1 then wrk.thread:stop() end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %d\n", summary.requests, summary.duration,
    latency:percentile(95) / 1000.0, latency.mean / 1000.0,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
