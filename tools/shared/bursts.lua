-- 10,000 requests over 1,000 prompts, each prompt asked 10 times in a row (so the same prompt
-- is in flight on several instances at once), then the thread stops. Use with -t1: one counter.
local counter = 0
local answered = 0
local total = tonumber(os.getenv("REQUESTS") or "10000")
local repeats = tonumber(os.getenv("REPEATS") or "10")
local headers = {["Content-Type"] = "application/json", ["x-mock-latency-ms"] = os.getenv("LATENCY_MS") or "50"}

request = function()
  -- Requests sent after the last counted answer wrap around: still 1,000 prompts in all.
  local prompt = math.floor(counter / repeats) % math.floor(total / repeats)
  counter = counter + 1
  local body = string.format('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Prompt %d, please answer."}]}', prompt)
  return wrk.format("POST", "/v1/chat/completions", headers, body)
end

response = function(status, headers, body)
  answered = answered + 1
  if answered >= total then wrk.thread:stop() end
end
