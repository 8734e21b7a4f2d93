-- POST /v1/hits from a fixed pool of returning visitors over a fixed set of
-- pages, one random (visitor, page) pair per request, sent the way the
-- widget sends it (text/plain avoids a CORS preflight).
--
--   wrk ... -s hits.lua URL [-- VISITORS PAGES]   (default 10000 1000)
--
-- VISITORS 0: a new visitor each request (a cookie never sent before), so
-- every hit is a visit; the outage measurement counts them that way.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."
local report = dofile(dir .. "/report.lua")

local VISITORS, PAGES = 10000, 1000

local head, cookies, bodies

function init(args)
  VISITORS = tonumber(args[1]) or VISITORS
  PAGES = tonumber(args[2]) or PAGES
  head = report.head("POST", "/v1/hits")
    .. "Content-Type: text/plain;charset=UTF-8\r\n"
  -- Returning visitors: the same pool on every run.
  cookies = report.cookies(VISITORS)
  bodies = report.page_bodies(PAGES)
  report.seed()
end

function request()
  local cookie = VISITORS > 0 and cookies[math.random(VISITORS)]
    or "Cookie: tally_vid=" .. report.hex(36) .. "\r\n"
  return head .. cookie .. bodies[math.random(PAGES)]
end

done = report.done
