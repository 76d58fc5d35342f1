-- A different chat request every time: every request is a miss (or, against the upstream
-- directly, just a request). Each wrk thread numbers its own requests. With MISS_PADDING=N in the
-- environment, each asks the mock upstream for N extra bytes of answer (x-mock-padding).
local counter = 0
local thread_id = 0
local threads = {}
local padding = os.getenv("MISS_PADDING")
local headers = {["Content-Type"] = "application/json"}
if padding then headers["x-mock-padding"] = padding end

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
  return wrk.format("POST", nil, headers, body)
end
