-- A flood of unique requests whose answers are large (x-mock-padding bytes of text each): every
-- request is a miss whose answer is stored. Each wrk thread numbers its own requests.
local counter = 0
local thread_id = 0
local threads = {}
local padding = os.getenv("FLOOD_PADDING") or "262144"

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
end

request = function()
  counter = counter + 1
  local body = string.format('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Flood %d-%d %d"}]}', thread_id, counter, math.random(1000000000))
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["x-mock-padding"] = padding}, body)
end
