-- wrk script for ops/bench/alerta: every request POSTs an alerta alert whose resource no other request uses
-- (prefix, thread number, counter), so alerta finds no duplicate nor correlated alert (it dedupes on
-- environment + resource + event [+ customer]) and inserts a new one.
-- Arguments (after `--`): the resource prefix.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  prefix = args[1] or "alerta"
  counter = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local body = '{"resource":"' .. prefix .. "-" .. thread_number .. "-" .. counter
    .. '","event":"DiskFull","environment":"Production","severity":"critical","service":["web"],'
    .. '"text":"Disk full on /var (benchmark alert)"}'
  return wrk.format(nil, nil, nil, body)
end
