-- POST /v1/hits to a province of SITES sites (bench/sites.bash writes their
-- file): each request names a site (`?site=`) from that site's origin, as
-- the widget on the site's pages sends it. Traffic is skewed as a
-- province's is: site i of SITES is drawn as floor(SITES * u^4) + 1, so
-- the portal and a few large departments take most of it (the first 1 %
-- of sites about a third, the first 10 % more than half) and the communes
-- a long tail. Visitors and pages as hits.lua draws them.
--
--   wrk ... -s sites.lua URL -- VISITORS PAGES SITES
local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."
local report = dofile(dir .. "/report.lua")

local VISITORS, PAGES, SITES = 10000, 1000, 1000

-- The id of site i, as bench/sites.bash names them.
local function site_id(i)
  if i == 1 then return "tinh" end
  if i <= 21 then return "so-" .. (i - 1) end
  return "xa-" .. (i - 21)
end

local heads, cookies, bodies

function init(args)
  VISITORS = tonumber(args[1]) or VISITORS
  PAGES = tonumber(args[2]) or PAGES
  SITES = tonumber(args[3]) or SITES
  heads = {}
  for i = 1, SITES do
    local id = site_id(i)
    heads[i] = report.head("POST", "/v1/hits?site=" .. id)
      .. "Content-Type: text/plain;charset=UTF-8\r\n"
      .. "Origin: https://" .. id .. ".tinh.gov.vn\r\n"
  end
  -- Returning visitors: the same pool on every run.
  cookies = report.cookies(VISITORS)
  bodies = report.page_bodies(PAGES)
  report.seed()
end

function request()
  local site = math.floor(SITES * math.random() ^ 4) + 1
  return heads[site] .. cookies[math.random(VISITORS)] .. bodies[math.random(PAGES)]
end

done = report.done
