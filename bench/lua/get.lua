-- A plain GET of the URL on the command line, as a browser sends it.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."
local report = dofile(dir .. "/report.lua")

wrk.headers["User-Agent"] = report.user_agent
wrk.headers["Accept"] = "application/json"

done = report.done
