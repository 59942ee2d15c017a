-- wrk script for bench/http/run.sh: each connection asks for the paths in
-- turn (PATHS, space-separated), with the session cookie (COOKIE), and
-- waits DELAY_MS between requests, so that the connections together keep a
-- fixed request rate instead of wrk's flat-out loop.
local paths = {}
for p in string.gmatch(os.getenv("PATHS") or "/", "%S+") do
	paths[#paths + 1] = p
end
local cookie = os.getenv("COOKIE") or ""
local pause = tonumber(os.getenv("DELAY_MS") or "0")
local i = 0

function request()
	i = i % #paths + 1
	local headers = {}
	if cookie ~= "" then
		headers["Cookie"] = cookie
	end
	return wrk.format("GET", paths[i], headers)
end

function delay()
	return pause
end

function done(summary, latency, requests)
	local errors = summary.errors.connect + summary.errors.read + summary.errors.write
		+ summary.errors.status + summary.errors.timeout
	io.write(string.format("RESULT requests=%d seconds=%.3f rate=%.1f errors=%d non2xx=%d "
		.. "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
		summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
		errors, summary.errors.status, latency:percentile(50) / 1000,
		latency:percentile(99) / 1000, latency.max / 1000))
end
