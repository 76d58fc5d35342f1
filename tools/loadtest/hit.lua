-- One fixed chat request: after the first, every request is a cache hit.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"What is a cache? Answer in one paragraph."}]}'
