-- POST /v1/hits from visitors who have each seen PAGES pages in the visit
-- window: the cost of a hit against the size of its visitor's history.
--
--   wrk ... -s history.lua URL -- VISITORS PAGES GROUP walk MARKER CONNECTIONS
--   wrk ... -s history.lua URL -- VISITORS PAGES GROUP reload
--
-- GROUP names the pool of visitors (its cookies are the same on every run
-- with the same GROUP). `walk` takes every visitor through pages 1..PAGES,
-- in turn, once, then writes MARKER (a file) when the last answer is in;
-- `reload` sends a random visitor's hit on a random one of its pages,
-- which it has seen already: the same work whatever PAGES is, but for the
-- history the store keeps.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."
local report = dofile(dir .. "/report.lua")

local visitors, pages, mode, marker, connections = 256, 500, "reload", nil, 64
local head, cookies, bodies
local sent, answered = 0, 0

function init(args)
  visitors = tonumber(args[1]) or visitors
  pages = tonumber(args[2]) or pages
  local group = args[3] or "h"
  mode = args[4] or mode
  marker = args[5]
  connections = tonumber(args[6]) or connections
  -- Only the walk needs the answers; wrk reads less without the hook.
  if mode ~= "walk" then response = nil end
  head = report.head("POST", "/v1/hits")
    .. "Content-Type: text/plain;charset=UTF-8\r\n"
  local seed = 0
  for i = 1, #group do seed = seed * 31 + group:byte(i) end
  math.randomseed(seed % 2147483647)
  cookies = {}
  for i = 1, visitors do
    cookies[i] = "Cookie: tally_vid=" .. report.hex(36) .. "\r\n"
  end
  bodies = {}
  for i = 1, pages do
    local body = string.format('{"page":"/lich-su/%d"}', i)
    bodies[i] = "Content-Length: " .. #body .. "\r\n\r\n" .. body
  end
  report.seed()
end

local total = function() return visitors * pages end

function request()
  if mode == "walk" then
    if sent >= total() then
      -- Every step is on its way: reloads of the last page until the
      -- caller stops wrk (they change no history).
      return head .. cookies[sent % visitors + 1] .. bodies[pages]
    end
    local v, p = sent % visitors + 1, math.floor(sent / visitors) + 1
    sent = sent + 1
    return head .. cookies[v] .. bodies[p]
  end
  return head .. cookies[math.random(visitors)] .. bodies[math.random(pages)]
end

function response(status)
  answered = answered + 1
  -- Each connection has one request out: once as many answers more as
  -- there are connections are in, the walk's last step has been answered.
  if marker and answered == total() + connections then
    local f = io.open(marker, "w")
    f:write("done\n")
    f:close()
  end
end

done = report.done
