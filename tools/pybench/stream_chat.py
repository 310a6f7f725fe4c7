"""Reads one chat completion stream through the official Python SDK and prints the seconds it
took and the number of chunks: `stream_chat.py SERVER_URL`. Used by tests/benches/sse.rs."""
import sys
import time

from mistralai.client import Mistral

client = Mistral(api_key="bench-key", server_url=sys.argv[1])
start = time.perf_counter()
chunks = 0
chars = 0
with client.chat.stream(model="mistral-small-latest", messages=[{"role": "user", "content": "hi"}]) as events:
    for event in events:
        chunks += 1
        content = event.data.choices[0].delta.content
        if isinstance(content, str):
            chars += len(content)
print(f"{time.perf_counter() - start:.6f} {chunks} {chars}")
