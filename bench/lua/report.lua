-- Shared by every script: a browser User-Agent (requests without one count
-- as bots and skip the counting path) and one machine-readable result line.

local report = {}

report.user_agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
  .. "(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"

-- Seeds from the kernel: ballots need cookies no earlier run has used.
function report.seed()
  local f = io.open("/dev/urandom", "rb")
  local bytes = f:read(4)
  f:close()
  local n = 0
  for i = 1, 4 do n = n * 256 + bytes:byte(i) end
  math.randomseed(n)
end

function report.hex(digits)
  local parts = {}
  for i = 1, digits / 4 do parts[i] = string.format("%04x", math.random(0, 0xffff)) end
  return table.concat(parts)
end

-- The Cookie headers of `n` returning visitors: the same pool on every
-- run. Random slot tags spread them over a cluster's slots as real
-- cookies are. Seeds the generator; call report.seed() after.
function report.cookies(n)
  math.randomseed(20261128)
  local cookies = {}
  for i = 1, n do
    cookies[i] = "Cookie: tally_vid=" .. report.hex(36) .. "\r\n"
  end
  return cookies
end

-- The bodies of hits on `n` pages `/tin-tuc/N`, with their lengths.
function report.page_bodies(n)
  local bodies = {}
  for i = 1, n do
    local body = string.format('{"page":"/tin-tuc/%d"}', i)
    bodies[i] = "Content-Length: " .. #body .. "\r\n\r\n" .. body
  end
  return bodies
end

-- The head every scripted request starts with, up to its own headers.
function report.head(method, path)
  return method .. " " .. path .. " HTTP/1.1\r\n"
    .. "Host: " .. wrk.headers["Host"] .. "\r\n"
    .. "User-Agent: " .. report.user_agent .. "\r\n"
end

-- wrk counts only status >= 400 as errors; that is what `non_2xx` reports
-- (no target here answers 1xx or 3xx).
function report.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
      .. "non_2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50.0) / 1000, latency:percentile(99.0) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end

return report
