-- Cycles through KEYS (default 3000) chat requests: once each is stored, every request is a hit,
-- and with a 1 MiB memory tier (about a thousand such answers) most come from the disk tier.
local keys = tonumber(os.getenv("KEYS") or "3000")
local counter = 0
local headers = {["Content-Type"] = "application/json"}
request = function()
  counter = counter + 1
  local body = string.format('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Stored question %d."}]}', counter % keys)
  return wrk.format("POST", nil, headers, body)
end
