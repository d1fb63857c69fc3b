-- POST a form with an email address to BENCH_PATH as the guest of BENCH_COOKIE, with its CSRF
-- token: each request the next address of BENCH_EMAILS (lines "email<TAB>anything"), or when it
-- is unset, an address never used before.
dofile("bench/report.lua")

local path = os.getenv("BENCH_PATH")
local token = os.getenv("BENCH_CSRF")
local run = os.getenv("BENCH_RUN") or "run"
local emails = {}
if os.getenv("BENCH_EMAILS") then
  for line in io.lines(os.getenv("BENCH_EMAILS")) do
    emails[#emails + 1] = line:match("^([^\t]+)")
  end
end
local counter = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local function encode(value)
  return (value:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("name", "t" .. threads)
  thread:set("offset", math.random(math.max(#emails, 1)))
end

request = function()
  counter = counter + 1
  local email
  if #emails > 0 then
    email = emails[(counter + (offset or 0)) % #emails + 1]
  else
    email = "new-" .. run .. "-" .. (name or "t") .. "-" .. counter .. "@example.com"
  end
  local body = "email=" .. encode(email) .. "&csrf_token=" .. encode(token)
  return wrk.format(nil, path, nil, body)
end
