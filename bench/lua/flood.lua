-- A flood from many client addresses behind a trusted proxy: every request
-- names a new address in X-Forwarded-For (10.a.b.c, counting up) and carries
-- no cookie, so each one is a new visitor and a new rate-limit key. The
-- thread stops once every address has been sent.
--
--   wrk ... -s flood.lua URL -- ADDRESSES DELAY_MS
--
-- DELAY_MS paces each connection so the flood stays under the replica's own
-- ceiling (TALLY_GLOBAL_RATE_LIMIT): refused at the door, an address would
-- never reach the per-address limiter whose memory is being measured.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."
local report = dofile(dir .. "/report.lua")

local BODY = '{"page":"/tin-tuc/1"}'

local head, tail
local addresses, pause = 200000, 0
local n = 0

function init(args)
  addresses = tonumber(args[1]) or addresses
  pause = tonumber(args[2]) or pause
  head = report.head("POST", "/v1/hits")
    .. "Content-Type: text/plain;charset=UTF-8\r\n"
    .. "X-Forwarded-For: 10."
  tail = "\r\nContent-Length: " .. #BODY .. "\r\n\r\n" .. BODY
end

function delay()
  return pause
end

function request()
  if n >= addresses then
    wrk.thread:stop()
  end
  local i = n % addresses
  n = n + 1
  local a = math.floor(i / 65536)
  local b = math.floor(i / 256) % 256
  return head .. a .. "." .. b .. "." .. (i % 256) .. tail
end

done = report.done
