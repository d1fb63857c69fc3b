-- POST /auth/login with a valid key, each request the next member of BENCH_LOGINS
-- (lines "email<TAB>key"), carrying a guest's cookie and its CSRF token.
dofile("bench/report.lua")

local members = {}
for line in io.lines(os.getenv("BENCH_LOGINS")) do
  local email, key = line:match("^(.-)\t(.+)$")
  members[#members + 1] = { email = email, key = key }
end
local token = os.getenv("BENCH_CSRF")
local next_member = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local function encode(value)
  return (value:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

setup = function(thread)
  thread:set("offset", math.random(#members))
end

request = function()
  next_member = next_member + 1
  local member = members[(next_member + (offset or 0)) % #members + 1]
  local body = "email=" .. encode(member.email) .. "&key=" .. encode(member.key)
    .. "&csrf_token=" .. encode(token)
  return wrk.format(nil, "/auth/login", nil, body)
end
