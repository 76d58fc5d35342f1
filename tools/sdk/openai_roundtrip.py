"""Drives llmcache with the official OpenAI Python SDK: chat, non-streaming and streaming, each a
miss then a hit. Prints one JSON object with what it saw; the Swift test (ProxySDKTests) checks it.

usage: python3 tools/sdk/openai_roundtrip.py BASE_URL
"""
import json
import sys

from openai import OpenAI

base_url = sys.argv[1]
client = OpenAI(base_url=base_url, api_key="sk-test-not-a-real-key", max_retries=0, timeout=30)
messages = [{"role": "user", "content": "What does a cache do?"}]
result = {"sdk": __import__("openai").__version__, "plain": [], "stream": []}

for _ in range(2):
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=messages, temperature=0.3)
    completion = raw.parse()
    result["plain"].append({
        "status": raw.headers.get("x-llmcache-status"),
        "content": completion.choices[0].message.content,
        "tokens": completion.usage.total_tokens,
    })

for _ in range(2):
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=messages, temperature=0.3, stream=True)
    stream = raw.parse()
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    result["stream"].append({"status": raw.headers.get("x-llmcache-status"), "content": text})

print(json.dumps(result))
