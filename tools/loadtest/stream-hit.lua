-- One fixed streamed chat request whose answer is padded to about 21 KiB (109 events) of server-sent events
-- (x-mock-padding): after the first, every request is a hit on a cached stream.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-mock-padding"] = "600"
wrk.body = '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Stream a long answer."}]}'
