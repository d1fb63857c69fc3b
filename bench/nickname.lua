-- The profile's nickname form as htmx posts it: a partial request with the CSRF token in its
-- header, each request from the next member of BENCH_MEMBERS (lines "cookie<TAB>token") and
-- with a new nickname, so each one really changes it.
dofile("bench/report.lua")

local members = {}
for line in io.lines(os.getenv("BENCH_MEMBERS")) do
  local cookie, token = line:match("^(.-)\t(.+)$")
  members[#members + 1] = { cookie = cookie, token = token }
end
local counter = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["HX-Request"] = "true"
wrk.headers["HX-Request-Type"] = "partial"

local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("name", "t" .. threads)
end

request = function()
  counter = counter + 1
  local member = members[counter % #members + 1]
  local headers = { ["Cookie"] = member.cookie, ["X-CSRF-Token"] = member.token }
  for key, value in pairs(wrk.headers) do
    headers[key] = value
  end
  local body = "username=bench-" .. (name or "t") .. "-" .. counter
  return wrk.format(nil, "/auth/userprofile/nickname", headers, body)
end
