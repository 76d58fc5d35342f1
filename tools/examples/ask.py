#!/usr/bin/env python3
"""A small program whose LLM traffic llmcache records and replays (docs/replay-and-ci.md
and the README's tours). Asks three questions through the official OpenAI SDK, at the base URL and
with the key of OPENAI_BASE_URL / OPENAI_API_KEY.

  ask.py [--temperature T] [--dump FILE]

--dump FILE also writes each request as a JSON line in the form `llmcache replay-check
--requests` reads (method, path, headers, body).
"""
import argparse
import json
import os
import sys

from openai import OpenAI

QUESTIONS = ["What is a cache?", "Why is LMDB fast to read?", "Name one eviction policy."]

parser = argparse.ArgumentParser()
parser.add_argument("--temperature", type=float, default=0.2)
parser.add_argument("--dump")
args = parser.parse_args()

client = OpenAI(max_retries=0)  # a replay miss (504) should fail at once, not be retried
dump = open(args.dump, "w") if args.dump else None
failed = False
for question in QUESTIONS:
    body = {"model": "gpt-4o-mini", "temperature": args.temperature,
            "messages": [{"role": "user", "content": question}]}
    if dump:
        headers = {"authorization": "Bearer " + os.environ.get("OPENAI_API_KEY", "")}
        dump.write(json.dumps({"method": "POST", "path": "/v1/chat/completions", "headers": headers, "body": body}) + "\n")
    try:
        raw = client.chat.completions.with_raw_response.create(**body)
        answer = raw.parse().choices[0].message.content
        print(f"{raw.headers.get('x-llmcache-status', '?'):5} {question} -> {answer}")
    except Exception as error:  # noqa: BLE001 — show what the proxy answered
        failed = True
        print(f"ERROR {question} -> {error}")
sys.exit(1 if failed else 0)
