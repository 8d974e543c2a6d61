-- bench.lua: one wrk script for every scenario. Each request comes from
-- BENCH_FILE ("token<TAB>path<TAB>body" lines), each thread walking its
-- own slice from BENCH_OFFSET on, so no seat, ticket or new user is used
-- twice; without BENCH_FILE every request is BENCH_METHOD BENCH_PATH.
-- Only lines BENCH_OFFSET .. BENCH_OFFSET + BENCH_COUNT - 1 are kept.
local threads = {}

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

function init(args)
    method = os.getenv("BENCH_METHOD") or "GET"
    fixed_path = os.getenv("BENCH_PATH") or "/health"
    nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
    next_line = tid
    lines = {}
    local first = tonumber(os.getenv("BENCH_OFFSET") or "0")
    local last = first + tonumber(os.getenv("BENCH_COUNT") or "1000000000") - 1
    local file = os.getenv("BENCH_FILE")
    if file and file ~= "" then
        local n = 0
        for line in io.lines(file) do
            if n >= first and n <= last then
                local token, path, body = line:match("^([^\t]*)\t([^\t]*)\t?(.*)$")
                table.insert(lines, {token, path, body})
            end
            n = n + 1
        end
    end
end

function request()
    if #lines == 0 then
        return wrk.format(method, fixed_path)
    end
    local l = lines[(next_line % #lines) + 1]
    next_line = next_line + nthreads
    local headers = {}
    if l[1] ~= "" then headers["Authorization"] = l[1] end
    if l[3] ~= "" then headers["Content-Type"] = "application/json" end
    return wrk.format(method, l[2], headers, l[3] ~= "" and l[3] or nil)
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT %d %.1f %.3f %.3f %d %d\n",
        summary.requests, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        e.status, e.connect + e.read + e.write + e.timeout))
end
