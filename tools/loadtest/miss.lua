-- A different chat request every time: every request is a miss (or, against the upstream
-- directly, just a request). Each wrk thread numbers its own requests.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
end

request = function()
  counter = counter + 1
  local body = string.format('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Question %d-%d, please answer."}]}', thread_id, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
