-- wrk script: every thread requests its share of the paths in a file, once, then stops.
-- wrk -t T -c C -d 300s -s bench/tiles.lua URL -- PATHS_FILE T [METHOD]
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  local k, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % k == id then table.insert(paths, line) end
    i = i + 1
  end
  method = args[3] or "GET"
  idx, answered = 0, 0
end

function request()
  idx = idx + 1
  return wrk.format(method, paths[math.min(idx, #paths)], { ["Accept-Encoding"] = "gzip" })
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= #paths then wrk.thread:stop() end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %d\n", summary.requests, summary.duration,
    latency:percentile(95) / 1000.0, latency.mean / 1000.0,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
