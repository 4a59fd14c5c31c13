-- wrk script for ops/bench/ingest: every request POSTs a generic alert with a dedup key no other request uses
-- (prefix, thread number, counter), so each one opens a new incident.
-- Arguments (after `--`): the key prefix. Environment: ONCALL_BENCH_KEY, the integration key.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  prefix = args[1] or "h1"
  counter = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Integration-Key"] = os.getenv("ONCALL_BENCH_KEY")
end

function request()
  counter = counter + 1
  local body = '{"title":"Ingest benchmark alert","severity":"info","dedup_key":"'
    .. prefix .. "-" .. thread_number .. "-" .. counter .. '"}'
  return wrk.format(nil, nil, nil, body)
end
