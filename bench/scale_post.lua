-- POST the form body BENCH_BODY (already encoded) to the URL's path, with BENCH_COOKIE.
dofile("bench/report.lua")

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
