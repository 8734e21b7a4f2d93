-- Ballots from distinct visitors: a cookie no one has used before on every
-- request, so each ballot is accepted (201) rather than refused as a repeat.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."
local report = dofile(dir .. "/report.lua")

local POLL = "danh-gia-cong"
local BODY = '{"options":["tot"]}'

local head, tail, prefix
local n = 0

function init(args)
  head = report.head("POST", "/v1/polls/" .. POLL .. "/votes")
    .. "Content-Type: text/plain;charset=UTF-8\r\n"
    .. "Cookie: tally_vid="
  tail = "\r\nContent-Length: " .. #BODY .. "\r\n\r\n" .. BODY
  report.seed()
  -- 112 random bits per run, then a counter: distinct within the run and,
  -- with overwhelming odds, from every earlier run against the same store.
  prefix = report.hex(28)
end

function request()
  n = n + 1
  return head .. prefix .. string.format("%08x", n) .. tail
end

done = report.done
