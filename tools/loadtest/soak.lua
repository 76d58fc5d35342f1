-- A mixed load for the soak script: hits (a small set of prompts), misses (unique prompts),
-- streams, upstream faults (500s, streams cut short) and slow upstreams, chosen at random.
local counter = 0
local hot = {}
for i = 1, 50 do hot[i] = "hot prompt number " .. i end

request = function()
  counter = counter + 1
  local roll = math.random(100)
  local headers = { ["Content-Type"] = "application/json" }
  local content, stream = hot[math.random(#hot)], "false"
  if roll <= 20 then
    content = "unique prompt " .. counter .. " " .. math.random(1000000000)
  elseif roll <= 40 then
    stream = "true"
  elseif roll <= 45 then
    headers["x-mock-status"] = "500"
    content = "failing " .. counter
  elseif roll <= 50 then
    stream = "true"
    headers["x-mock-cut-after"] = "2"
    content = "cut " .. counter
  elseif roll <= 55 then
    headers["x-mock-latency-ms"] = "200"
    content = "slow " .. math.random(20)
  end
  local body = '{"model":"gpt-4o-mini","stream":' .. stream .. ',"messages":[{"role":"user","content":"' .. content .. '"}]}'
  return wrk.format("POST", "/v1/chat/completions", headers, body)
end
