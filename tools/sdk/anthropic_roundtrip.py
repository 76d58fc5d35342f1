"""Drives llmcache with the official Anthropic Python SDK: models.list (must reach the Anthropic
upstream, not the OpenAI-compatible one), messages.create twice (a miss then a hit), the same
message with the key as a bearer token (one tenant: a hit), and messages.batches.create twice
(two batches: never cached). Prints one JSON object; the Swift test (ProxySDKTests) checks it.

usage: python3 tools/sdk/anthropic_roundtrip.py BASE_URL
"""
import json
import sys

import anthropic

base_url = sys.argv[1]
key = "sk-ant-test-not-a-real-key"
client = anthropic.Anthropic(base_url=base_url, api_key=key, max_retries=0, timeout=30)
bearer = anthropic.Anthropic(base_url=base_url, auth_token=key, max_retries=0, timeout=30)
messages = [{"role": "user", "content": "What does a cache do?"}]
result = {"sdk": anthropic.__version__, "models": [], "messages": [], "bearer": None, "batches": []}

result["models"] = [model.id for model in client.models.list()]

for _ in range(2):
    raw = client.messages.with_raw_response.create(model="claude-mock", max_tokens=64, messages=messages)
    message = raw.parse()
    result["messages"].append({"status": raw.headers.get("x-llmcache-status"), "text": message.content[0].text})

raw = bearer.messages.with_raw_response.create(model="claude-mock", max_tokens=64, messages=messages)
result["bearer"] = raw.headers.get("x-llmcache-status")

request = {"custom_id": "one", "params": {"model": "claude-mock", "max_tokens": 8, "messages": messages}}
for _ in range(2):
    raw = client.messages.batches.with_raw_response.create(requests=[request])
    result["batches"].append({"status": raw.headers.get("x-llmcache-status"), "id": raw.http_response.json()["id"]})

print(json.dumps(result))
