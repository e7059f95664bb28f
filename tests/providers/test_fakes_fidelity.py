"""The fake upstreams are faithful: the official SDKs parse what they send.

If a fake drifted from the real wire format, the adapter tests could pass
against a protocol no provider speaks; the vendors' own clients catch that.
"""

from __future__ import annotations

import aiohttp
import anthropic
import openai
import pytest
from upstream_fakes import FakeAnthropic, FakeOpenAI, Reply

KEY = "sk-fake"


@pytest.fixture
async def fake_openai():
    async with FakeOpenAI(api_key=KEY) as fake:
        yield fake


@pytest.fixture
async def fake_anthropic():
    async with FakeAnthropic(api_key=KEY) as fake:
        yield fake


def _openai(fake: FakeOpenAI, key: str = KEY) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.base_url, api_key=key, max_retries=0)


def _anthropic(fake: FakeAnthropic, key: str = KEY) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=fake.base_url, api_key=key, max_retries=0)


async def test_openai_sdk_chat(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(chunks=["Hi", " you"], input_tokens=12, cached_tokens=2))
    async with _openai(fake_openai) as client:
        completion = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}]
        )
    assert completion.choices[0].message.content == "Hi you"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.prompt_tokens == 12
    assert completion.usage.prompt_tokens_details.cached_tokens == 2  # type: ignore[union-attr]


async def test_openai_sdk_stream_with_usage(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(chunks=["a", "b", "c"], input_tokens=4))
    async with _openai(fake_openai) as client:
        stream = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hello"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        text, usage, finish = "", None, None
        async for chunk in stream:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
                finish = chunk.choices[0].finish_reason or finish
            if chunk.usage:
                usage = chunk.usage
    assert text == "abc" and finish == "stop"
    assert usage is not None and usage.completion_tokens == 3 and usage.prompt_tokens == 4


async def test_openai_sdk_tool_call_stream_accumulates(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(tool_call=("call_9", "get_weather", '{"city": "Paris"}')))
    async with (
        _openai(fake_openai) as client,
        client.beta.chat.completions.stream(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "weather?"}]
        ) as stream,
    ):
        final = await stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.id == "call_9" and call.function.name == "get_weather"
    assert call.function.arguments == '{"city": "Paris"}'
    assert final.choices[0].finish_reason == "tool_calls"


async def test_openai_sdk_embeddings_and_models(fake_openai: FakeOpenAI) -> None:
    async with _openai(fake_openai) as client:
        embedded = await client.embeddings.create(
            model="text-embedding-3-small", input=["a", "b"], dimensions=6
        )
        models = await client.models.list()
    assert [len(d.embedding) for d in embedded.data] == [6, 6]
    assert embedded.usage.prompt_tokens > 0
    assert [m.id for m in models.data] == ["fake-model"]


async def test_openai_sdk_errors(fake_openai: FakeOpenAI) -> None:
    async with _openai(fake_openai, key="sk-wrong") as client:
        with pytest.raises(openai.AuthenticationError):
            await client.models.list()
    fake_openai.enqueue(
        Reply(status=429, error_type="rate_limit_exceeded", headers={"retry-after": "3"})
    )
    async with _openai(fake_openai) as client:
        with pytest.raises(openai.RateLimitError) as caught:
            await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "x"}]
            )
    assert caught.value.response.headers["retry-after"] == "3"
    assert caught.value.code == "rate_limit_exceeded"
    fake_openai.enqueue(Reply(status=400, error_type="context_length_exceeded"))
    async with _openai(fake_openai) as client:
        with pytest.raises(openai.BadRequestError) as bad:
            await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "x"}]
            )
    assert bad.value.code == "context_length_exceeded"


async def test_openai_cut_stream_sends_no_done(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(chunks=["a", "b", "c"], cut_after_chunks=1))
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            fake_openai.base_url + "/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True},
            headers={"Authorization": f"Bearer {KEY}"},
        ) as response,
    ):
        raw = await response.read()
    assert raw.count(b"data: ") == 2  # role chunk + one content chunk
    assert b"[DONE]" not in raw and b'finish_reason":"stop' not in raw


async def test_anthropic_sdk_message(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(Reply(chunks=["Bon", "jour"], input_tokens=8, cached_tokens=3))
    async with _anthropic(fake_anthropic) as client:
        message = await client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=100,
            system="Be French.",
            messages=[{"role": "user", "content": "hello"}],
        )
    assert message.content[0].text == "Bonjour"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 8 and message.usage.cache_read_input_tokens == 3
    assert fake_anthropic.requests[-1].json["system"] == "Be French."


async def test_anthropic_sdk_stream(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(Reply(chunks=["a", "b"], input_tokens=5))
    async with (
        _anthropic(fake_anthropic) as client,
        client.messages.stream(
            model="claude-haiku-4-5",
            max_tokens=100,
            messages=[{"role": "user", "content": "hello"}],
        ) as stream,
    ):
        texts = [t async for t in stream.text_stream]
        final = await stream.get_final_message()
    assert texts == ["a", "b"]
    assert final.usage.output_tokens == 2 and final.usage.input_tokens == 5
    assert final.stop_reason == "end_turn"


async def test_anthropic_sdk_tool_use_stream(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(Reply(tool_call=("toolu_1", "lookup", '{"q": "x"}')))
    async with (
        _anthropic(fake_anthropic) as client,
        client.messages.stream(
            model="claude-haiku-4-5",
            max_tokens=100,
            messages=[{"role": "user", "content": "hello"}],
        ) as stream,
    ):
        final = await stream.get_final_message()
    block = final.content[0]
    assert block.type == "tool_use" and block.input == {"q": "x"}  # type: ignore[union-attr]
    assert final.stop_reason == "tool_use"


async def test_anthropic_sdk_errors(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(Reply(status=529, error_type="overloaded_error"))
    async with _anthropic(fake_anthropic) as client:
        with pytest.raises(anthropic.APIStatusError) as caught:
            await client.messages.create(
                model="m", max_tokens=10, messages=[{"role": "user", "content": "x"}]
            )
    assert caught.value.status_code == 529
    assert caught.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    async with _anthropic(fake_anthropic, key="bad") as client:
        with pytest.raises(anthropic.AuthenticationError):
            await client.messages.create(
                model="m", max_tokens=10, messages=[{"role": "user", "content": "x"}]
            )
    fake_anthropic.enqueue(Reply(chunks=["a", "b"], error_event_after_chunks=1))
    async with _anthropic(fake_anthropic) as client:
        with pytest.raises(anthropic.APIStatusError):
            async with client.messages.stream(
                model="m", max_tokens=10, messages=[{"role": "user", "content": "x"}]
            ) as stream:
                async for _ in stream:
                    pass


async def test_fake_sees_client_disconnect(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(chunks=["x"] * 50, chunk_delay=0.05))
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            fake_openai.base_url + "/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True},
            headers={"Authorization": f"Bearer {KEY}"},
        )
        await response.content.readline()
        response.close()
    import asyncio

    await asyncio.wait_for(fake_openai.disconnected.wait(), timeout=3)
    assert fake_openai.disconnects == 1
