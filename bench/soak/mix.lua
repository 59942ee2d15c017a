-- wrk script for bench/soak/run.sh: a collector's mixed API traffic,
-- paced. Each wrk thread sends RATE/WRK_THREADS requests a second on a fixed
-- schedule (a request late by the answers before it goes at once, at most
-- five seconds' worth owed), whatever the answers' latency, walking MIX, a
-- fixed cycle of 40 requests, as a field team's phones would send them:
--   reads (33): GET /api/visits?date=DAY (7), /api/visits/{id} (16, the
--     day's visits of the team in turn), /api/tasks (6), /api/accounts (4);
--   posts (7), each with the session's X-CSRF-Token: POST /api/promises
--     (2) on the branch's accounts, with an Idempotency-Key; POST
--     /api/installments/calc (2, nothing stored); a check-in (1) on one of
--     the day's visits (the contact rules answer it: allowed 200, refused
--     422 with the refusal kept as an event); and a visit of the stock of
--     checked-in visits carried to its end (2): its outcome, with an
--     Idempotency-Key, then, once that is answered, closed. Each thread
--     takes its own share of the stock; when it runs out the slot becomes
--     another promise. So 5 requests in 40 write to the database.
-- Environment: RATE, WRK_THREADS (wrk's -t), COOKIE, CSRF, DAY, DUE (a promise's
-- due date), VISITS and ACCOUNTS (space-separated ids), STOCK_LO and
-- STOCK_HI (the stock's visit ids). With PATHS (space-separated) instead,
-- plain GETs of those paths in turn, no cookie: the static reference.
--
-- Statuses are tallied by what they mean: 2xx; 422 check_in_refused (a
-- refused check-in, expected); 503 with Retry-After (busy); other 5xx;
-- any other status (unexpected: a 4xx the mix should not cause).
local function words(s)
	local t = {}
	for w in string.gmatch(s or "", "%S+") do
		t[#t + 1] = w
	end
	return t
end

local cookie = os.getenv("COOKIE") or ""
local csrf = os.getenv("CSRF") or ""
local day = os.getenv("DAY") or ""
local due = os.getenv("DUE") or ""
local visits = words(os.getenv("VISITS"))
local accounts = words(os.getenv("ACCOUNTS"))
local stock_lo = tonumber(os.getenv("STOCK_LO") or "0")
local stock_hi = tonumber(os.getenv("STOCK_HI") or "-1")
local paths = words(os.getenv("PATHS"))
local rate = tonumber(os.getenv("RATE") or "100") / tonumber(os.getenv("WRK_THREADS") or "1")

-- a monotonic clock in milliseconds (LuaJIT's FFI; wrk is built on LuaJIT)
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } soak_timespec;
int clock_gettime(int clock, soak_timespec *ts);
]])
local ts = ffi.new("soak_timespec")
local function now_ms()
	ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
	return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local MIX = {
	"list", "visit", "tasks", "visit", "promise", "accounts", "visit", "list", "visit", "calc",
	"tasks", "visit", "stock", "list", "visit", "accounts", "visit", "tasks", "visit", "checkin",
	"list", "visit", "tasks", "visit", "promise", "accounts", "visit", "list", "visit", "calc",
	"tasks", "visit", "stock", "list", "visit", "accounts", "visit", "tasks", "visit", "list",
}

-- the threads, for done() to gather their tallies
local threads = {}
local nthreads = 0

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	threads[nthreads] = thread
end

local step, nv, na, nkey = 0, 0, 0, 0
local stock_next, stride = 0, 1
local to_close = {} -- visits whose outcome was answered, to close
tally = { ok = 0, refused = 0, busy = 0, e5xx = 0, other = 0, promise = 0, outcome = 0,
	close = 0, checkin = 0, calc = 0 }
others = ""

function init(args)
	-- tid and the number of threads are known here: the stock is dealt
	-- round-robin, thread k taking lo+k, lo+k+T, ...
	stock_next = stock_lo + tid
	stride = tonumber(os.getenv("WRK_THREADS") or "1")
end

local function headers(write)
	local h = { ["Cookie"] = cookie }
	if write then
		h["X-CSRF-Token"] = csrf
		h["Content-Type"] = "application/json"
	end
	return h
end

local function key()
	nkey = nkey + 1
	return string.format("soak-%d-%d-%d", tid, os.time(), nkey)
end

local function promise()
	na = na % #accounts + 1
	tally.promise = tally.promise + 1
	local h = headers(true)
	h["Idempotency-Key"] = key()
	return wrk.format("POST", "/api/promises", h,
		string.format('{"account_id":"%s","amount_fen":%d,"due":"%s"}', accounts[na],
			10000 + 100 * (na % 50), due))
end

function request()
	step = step % #MIX + 1
	if #paths > 0 then
		return wrk.format("GET", paths[(step - 1) % #paths + 1])
	end
	local k = MIX[step]
	if k == "list" then
		return wrk.format("GET", "/api/visits?date=" .. day, headers(false))
	elseif k == "visit" then
		nv = nv % #visits + 1
		return wrk.format("GET", "/api/visits/" .. visits[nv], headers(false))
	elseif k == "tasks" then
		return wrk.format("GET", "/api/tasks", headers(false))
	elseif k == "accounts" then
		return wrk.format("GET", "/api/accounts", headers(false))
	elseif k == "promise" then
		return promise()
	elseif k == "calc" then
		tally.calc = tally.calc + 1
		return wrk.format("POST", "/api/installments/calc", headers(true),
			'{"balance_fen":1250000,"installments":12,"first_due":"' .. due .. '"}')
	elseif k == "checkin" then
		nv = nv % #visits + 1
		tally.checkin = tally.checkin + 1
		return wrk.format("POST", "/api/visits/" .. visits[nv] .. "/check-in", headers(true),
			'{"lat":30.25,"lon":120.15,"identity_shown":true}')
	end
	-- the stock: a visit whose outcome is in is closed; else the next
	-- visit's outcome
	if #to_close > 0 then
		tally.close = tally.close + 1
		return wrk.format("POST", "/api/visits/" .. table.remove(to_close, 1) .. "/close",
			headers(true), "{}")
	end
	if stock_next > stock_hi then
		return promise()
	end
	local v = stock_next
	stock_next = stock_next + stride
	tally.outcome = tally.outcome + 1
	local h = headers(true)
	h["Idempotency-Key"] = key()
	return wrk.format("POST", "/api/visits/" .. v .. "/outcome", h,
		'{"found":"met_borrower","situation":"illness","attitude":"cooperative"}')
end

local start, sent = nil, 0
function delay()
	local now = now_ms()
	if not start then
		start = now
	end
	sent = sent + 1
	local at = start + sent * 1000 / rate
	if at < now - 5000 then
		-- more than five seconds behind: the rest is forgiven, not burst out
		start = now - sent * 1000 / rate
		at = now
	end
	return at > now and math.floor(at - now) or 0
end

function response(status, hdrs, body)
	if status >= 200 and status < 300 then
		tally.ok = tally.ok + 1
		if body and string.find(body, '"state":"outcome_recorded"', 1, true) then
			local v = string.match(body, '"visit_id":(%d+)')
			if v then
				to_close[#to_close + 1] = v
			end
		end
	elseif status == 422 and body and string.find(body, "check_in_refused", 1, true) then
		tally.refused = tally.refused + 1
	elseif status == 503 and (hdrs["Retry-After"] or hdrs["retry-after"]) then
		tally.busy = tally.busy + 1
	elseif status >= 500 then
		tally.e5xx = tally.e5xx + 1
	else
		tally.other = tally.other + 1
		if #others < 400 then
			others = others .. status .. ":" .. string.sub(body or "", 1, 80) .. " | "
		end
	end
end

function done(summary, latency, requests)
	local t = { ok = 0, refused = 0, busy = 0, e5xx = 0, other = 0, promise = 0, outcome = 0,
		close = 0, checkin = 0, calc = 0 }
	local seen = ""
	for _, thread in ipairs(threads) do
		local x = thread:get("tally")
		for name, v in pairs(x) do
			t[name] = t[name] + v
		end
		local o = thread:get("others")
		if o and o ~= "" then
			seen = seen .. o
		end
	end
	local errors = summary.errors.connect + summary.errors.read + summary.errors.write
		+ summary.errors.timeout
	io.write(string.format("RESULT requests=%d seconds=%.3f rate=%.1f errors=%d ok=%d "
		.. "refused=%d busy=%d e5xx=%d other=%d promises=%d outcomes=%d closes=%d "
		.. "checkins=%d calcs=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
		summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
		errors, t.ok, t.refused, t.busy, t.e5xx, t.other, t.promise, t.outcome, t.close,
		t.checkin, t.calc, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		latency.max / 1000))
	if seen ~= "" then
		io.write("UNEXPECTED " .. seen .. "\n")
	end
end
