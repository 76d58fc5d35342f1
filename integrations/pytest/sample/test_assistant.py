"""A small suite calling OpenAI and Anthropic through their official SDKs, plain and streaming,
sync and async. The test code knows nothing of llmcache: pytest-llmcache points the SDKs at it."""

import asyncio

import anthropic
import openai

QUESTION = "What does a cache do?"


def test_openai_answers():
    client = openai.OpenAI()
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": QUESTION}], temperature=0
    )
    assert reply.choices[0].message.content


def test_openai_streams():
    client = openai.OpenAI()
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Name three colours."}], stream=True
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text


def test_openai_async():
    async def ask():
        async with openai.AsyncOpenAI() as client:
            reply = await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello."}]
            )
            return reply.choices[0].message.content

    assert asyncio.run(ask())


def test_anthropic_answers():
    client = anthropic.Anthropic()
    message = client.messages.create(
        model="claude-3-5-haiku-latest", max_tokens=64, messages=[{"role": "user", "content": QUESTION}]
    )
    assert message.content[0].text


def test_anthropic_streams():
    client = anthropic.Anthropic()
    with client.messages.stream(
        model="claude-3-5-haiku-latest", max_tokens=64, messages=[{"role": "user", "content": "Count to three."}]
    ) as stream:
        text = "".join(stream.text_stream)
    assert text
