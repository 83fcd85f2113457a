#!/usr/bin/env python3
"""Drives `mosaic serve --gateway` with the official `openai` package (a real client).

    scripts/gateway-openai-client.py BASE_URL PHASE [API_KEY]

PHASE is one of:
  basic          chat, streamed chat with usage, embeddings, models, and a 404 for an unknown model
  chat           one chat completion, with the gateway's provider and attempt headers
  broken-stream  a streamed chat whose upstream breaks after the first event: the client must
                 raise openai.APIError after receiving the first content
  unauthorized   a request without a valid key: the client must raise openai.AuthenticationError

Prints one JSON object with what it saw; exits 0 unless the client itself failed unexpectedly.
The gateway tests run it (Tests/MosaicServerTests/GatewayOpenAIClientTests.swift).
"""
import json
import sys

import openai

base_url, phase = sys.argv[1], sys.argv[2]
key = sys.argv[3] if len(sys.argv) > 3 else "unused"
client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=30)
out = {"openai_version": openai.__version__}
messages = [{"role": "user", "content": "hi"}]

if phase == "basic":
    chat = client.chat.completions.create(model="gpt-4o", messages=messages)
    out["chat"] = chat.choices[0].message.content
    out["chat_usage"] = [chat.usage.prompt_tokens, chat.usage.completion_tokens]
    text, usage = "", None
    for chunk in client.chat.completions.create(model="gpt-4o", messages=messages, stream=True,
                                                stream_options={"include_usage": True}):
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage:
            usage = [chunk.usage.prompt_tokens, chunk.usage.completion_tokens]
    out["stream"] = text
    out["stream_usage"] = usage
    emb = client.embeddings.create(model="text-embedding-3-small", input="mosaic")
    out["embedding"] = emb.data[0].embedding
    out["models"] = sorted(m.id for m in client.models.list())
    try:
        client.chat.completions.create(model="gpt-9", messages=messages)
        out["not_found"] = None
    except openai.NotFoundError as e:
        out["not_found"] = e.status_code
elif phase == "chat":
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=messages)
    chat = raw.parse()
    out["chat"] = chat.choices[0].message.content
    out["provider"] = raw.headers.get("x-mosaic-provider")
    out["attempts"] = raw.headers.get("x-mosaic-attempts")
elif phase == "broken-stream":
    text = ""
    try:
        for chunk in client.chat.completions.create(model="gpt-4o", messages=messages, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
        out["error"] = None
    except openai.APIError as e:
        out["error"] = type(e).__name__
    out["stream"] = text
elif phase == "unauthorized":
    try:
        client.chat.completions.create(model="gpt-4o", messages=messages)
        out["error"] = None
    except openai.AuthenticationError as e:
        out["error"] = e.status_code
        out["code"] = e.code
else:
    sys.exit(f"unknown phase {phase}")
print(json.dumps(out))
