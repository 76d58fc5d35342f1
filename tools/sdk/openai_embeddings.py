"""Drives llmcache's per-item embeddings with the official OpenAI Python SDK: 7 items, then the
same 7 and 3 more (answered PARTIAL), then the 10 straight from the upstream (passthrough). Prints
one JSON object: the statuses, and whether the SDK's parsed vectors and usage of the partial
answer equal those of the all-miss one. The Swift test (ProxySDKTests) checks it.

usage: python3 tools/sdk/openai_embeddings.py BASE_URL [ENCODING]   (ENCODING: float, base64 or
default — the SDK's own, which asks for base64 and decodes it)
"""
import json
import sys

from openai import OpenAI

base_url = sys.argv[1]
encoding = sys.argv[2] if len(sys.argv) > 2 else "default"
client = OpenAI(base_url=base_url, api_key="sk-test-not-a-real-key", max_retries=0, timeout=30)
items = [f"sentence number {n}" for n in range(10)]
options = {} if encoding == "default" else {"encoding_format": encoding}


def embed(inputs, headers=None):
    raw = client.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input=inputs, extra_headers=headers or {}, **options)
    parsed = raw.parse()
    return raw.headers.get("x-llmcache-status"), raw.headers.get("x-llmcache-items"), parsed


first, _, _ = embed(items[:7])
partial, counts, got = embed(items)
direct, _, expected = embed(items, {"x-llmcache-mode": "passthrough"})
print(json.dumps({
    "statuses": [first, partial, direct],
    "items": counts,
    "same_vectors": [d.embedding for d in got.data] == [d.embedding for d in expected.data],
    "same_order": [d.index for d in got.data] == list(range(10)),
    "same_usage": got.usage.prompt_tokens == expected.usage.prompt_tokens,
    "dimensions": len(got.data[0].embedding),
}))
