"""Provider adapters against fake upstreams speaking the real wire formats."""

from __future__ import annotations

import asyncio

import pytest
from llmgw.domain.backends import BackendKind, BackendSpec
from llmgw.domain.deadline import Deadline
from llmgw.domain.errors import FailureClass, UpstreamError
from llmgw.domain.generation import FinishReason, GenerationConfig
from llmgw.domain.messages import Message, Role, TextPart
from llmgw.domain.models import ModelInfo, ModelType
from llmgw.domain.requests import ChatRequest, EmbedRequest, StreamEnd, TextDelta
from llmgw.domain.secret import Secret
from llmgw.providers.anthropic.adapter import AnthropicProvider
from llmgw.providers.openai.adapter import OpenAIProvider
from upstream_fakes import FakeAnthropic, FakeOpenAI, Reply

KEY = "sk-fake"
CHAT_MODEL = ModelInfo(id="m", backend="fake", upstream_id="upstream-m")
EMBED_MODEL = ModelInfo(id="e", backend="fake", upstream_id="upstream-e", type=ModelType.EMBEDDING)
REQUEST = ChatRequest(
    model="m",
    messages=(
        Message(Role.SYSTEM, (TextPart("You are terse."),)),
        Message(Role.USER, (TextPart("Say hello"),)),
    ),
    generation=GenerationConfig(max_output_tokens=50),
)


def _spec(kind: BackendKind, base_url: str, key: str = KEY, timeout: float = 30) -> BackendSpec:
    return BackendSpec(
        name="fake",
        kind=kind,
        base_url=base_url,
        models=(CHAT_MODEL, EMBED_MODEL),
        api_keys=(Secret(key),),
        request_timeout=timeout,
    )


def _deadline(seconds: float = 10) -> Deadline:
    return Deadline.after(seconds)


@pytest.fixture
async def fake_openai():
    async with FakeOpenAI(api_key=KEY) as fake:
        yield fake


@pytest.fixture
async def openai_provider(fake_openai: FakeOpenAI):
    provider = OpenAIProvider(_spec(BackendKind.OPENAI_COMPATIBLE, fake_openai.base_url))
    yield provider
    await provider.aclose()


@pytest.fixture
async def fake_anthropic():
    async with FakeAnthropic(api_key=KEY) as fake:
        yield fake


@pytest.fixture
async def anthropic_provider(fake_anthropic: FakeAnthropic):
    provider = AnthropicProvider(_spec(BackendKind.ANTHROPIC, fake_anthropic.base_url))
    yield provider
    await provider.aclose()


async def _drain(stream) -> list[object]:  # type: ignore[no-untyped-def]
    events = []
    try:
        async for event in stream:
            events.append(event)
    finally:
        await stream.aclose()
    return events


# ---------------------------------------------------------------- OpenAI


async def test_openai_chat(openai_provider: OpenAIProvider, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(chunks=["Hello", " there"], input_tokens=21, cached_tokens=4))
    response = await openai_provider.chat(REQUEST, CHAT_MODEL, _deadline())
    assert response.candidates[0].message.text == "Hello there"
    assert response.candidates[0].finish_reason is FinishReason.STOP
    assert response.usage.input_tokens == 21 and response.usage.output_tokens == 2
    assert response.usage.cached_input_tokens == 4
    sent = fake_openai.requests[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.json["model"] == "upstream-m"
    assert sent.json["max_tokens"] == 50
    assert sent.json["messages"][0] == {"role": "system", "content": "You are terse."}


async def test_openai_stream(openai_provider: OpenAIProvider, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(chunks=["a", "b", "c"], input_tokens=9))
    stream = await openai_provider.stream_chat(REQUEST, CHAT_MODEL, _deadline())
    events = await _drain(stream)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "abc"
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.usage.input_tokens == 9 and end.usage.output_tokens == 3
    sent = fake_openai.requests[-1].json
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}


async def test_openai_stream_without_done_is_interrupted(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(Reply(chunks=["1", "2", "3", "4"], cut_after_chunks=2))
    stream = await openai_provider.stream_chat(REQUEST, CHAT_MODEL, _deadline())
    seen: list[str] = []
    with pytest.raises(UpstreamError) as caught:
        async for event in stream:
            if isinstance(event, TextDelta):
                seen.append(event.text)
    await stream.aclose()
    assert "".join(seen) == "12"  # what came before the cut (one read may carry both)
    assert caught.value.failure is FailureClass.STREAM_INTERRUPTED
    assert caught.value.output_tokens >= 2


@pytest.mark.parametrize(
    ("reply", "failure", "retry_after"),
    [
        (
            Reply(status=429, error_type="rate_limit_exceeded", headers={"retry-after": "2"}),
            FailureClass.RATE_LIMIT,
            2.0,
        ),
        (
            Reply(status=429, error_type="rate_limit_exceeded", headers={"retry-after-ms": "150"}),
            FailureClass.RATE_LIMIT,
            0.15,
        ),
        (Reply(status=429, error_type="insufficient_quota"), FailureClass.QUOTA, None),
        (
            Reply(status=400, error_type="context_length_exceeded"),
            FailureClass.CONTEXT_LENGTH,
            None,
        ),
        (Reply(status=400, error_type="invalid_request_error"), FailureClass.CALLER_FAULT, None),
        (Reply(status=500, error_type="server_error"), FailureClass.TRANSIENT, None),
        (Reply(status=503, error_type="server_error"), FailureClass.OVERLOADED, None),
        (Reply(status=200, raw_body=b"<html>proxy error</html>"), FailureClass.PROTOCOL, None),
    ],
)
async def test_openai_failures_are_classified(
    openai_provider: OpenAIProvider,
    fake_openai: FakeOpenAI,
    reply: Reply,
    failure: FailureClass,
    retry_after: float | None,
) -> None:
    fake_openai.enqueue(reply)
    with pytest.raises(UpstreamError) as caught:
        await openai_provider.chat(REQUEST, CHAT_MODEL, _deadline())
    assert caught.value.failure is failure
    assert caught.value.retry_after == retry_after
    assert caught.value.backend == "fake"


async def test_openai_stream_refusal_raises_before_any_event(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(Reply(status=503, error_type="overloaded"))
    with pytest.raises(UpstreamError) as caught:
        await openai_provider.stream_chat(REQUEST, CHAT_MODEL, _deadline())
    assert caught.value.failure is FailureClass.OVERLOADED


async def test_wrong_key_is_a_credential_failure_without_the_key(fake_openai: FakeOpenAI) -> None:
    secret = "sk-wrong-canary-1234567890"
    provider = OpenAIProvider(_spec(BackendKind.OPENAI, fake_openai.base_url, key=secret))
    try:
        with pytest.raises(UpstreamError) as caught:
            await provider.chat(REQUEST, CHAT_MODEL, _deadline())
    finally:
        await provider.aclose()
    assert caught.value.failure is FailureClass.CREDENTIAL
    assert secret not in str(caught.value) and secret not in caught.value.detail
    assert secret not in caught.value.public_message


async def test_connection_refused_is_transient() -> None:
    provider = OpenAIProvider(_spec(BackendKind.OPENAI, "http://127.0.0.1:9/v1"))
    try:
        with pytest.raises(UpstreamError) as caught:
            await provider.chat(REQUEST, CHAT_MODEL, _deadline())
    finally:
        await provider.aclose()
    assert caught.value.failure is FailureClass.TRANSIENT


async def test_deadline_bounds_the_attempt(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(Reply(first_byte_delay=2.0))
    started = asyncio.get_running_loop().time()
    with pytest.raises(UpstreamError) as caught:
        await openai_provider.chat(REQUEST, CHAT_MODEL, _deadline(0.3))
    assert caught.value.failure is FailureClass.TIMEOUT
    assert asyncio.get_running_loop().time() - started < 1.5


async def test_closing_a_stream_disconnects_the_upstream(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(Reply(chunks=["x"] * 200, chunk_delay=0.02))
    stream = await openai_provider.stream_chat(REQUEST, CHAT_MODEL, _deadline())
    iterator = stream.__aiter__()
    first = await iterator.__anext__()
    assert isinstance(first, TextDelta)
    await stream.aclose()
    await asyncio.wait_for(fake_openai.disconnected.wait(), timeout=3)
    assert fake_openai.disconnects == 1


async def test_openai_embeddings_and_models(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    response = await openai_provider.embed(
        EmbedRequest(model="e", inputs=("one", "two"), dimensions=4), EMBED_MODEL, _deadline()
    )
    assert len(response.vectors) == 2 and all(len(v) == 4 for v in response.vectors)
    assert response.vectors[0] != response.vectors[1]
    assert response.usage.input_tokens > 0
    assert fake_openai.requests[-1].json["input"] == ["one", "two"]
    assert isinstance(await openai_provider.list_models(_deadline()), list)


# ---------------------------------------------------------------- Anthropic


async def test_anthropic_chat(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(Reply(chunks=["Bon", "jour"], input_tokens=30, cached_tokens=20))
    response = await anthropic_provider.chat(REQUEST, CHAT_MODEL, _deadline())
    assert response.candidates[0].message.text == "Bonjour"
    assert response.candidates[0].finish_reason is FinishReason.STOP
    assert response.usage.input_tokens == 50  # input + cache reads
    assert response.usage.cached_input_tokens == 20
    sent = fake_anthropic.requests[-1]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.json["system"] == "You are terse."
    assert [m["role"] for m in sent.json["messages"]] == ["user"]
    assert sent.json["max_tokens"] == 50


async def test_anthropic_stream(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(Reply(chunks=["a", "b"], input_tokens=7))
    events = await _drain(await anthropic_provider.stream_chat(REQUEST, CHAT_MODEL, _deadline()))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "ab"
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.usage.input_tokens == 7 and end.usage.output_tokens == 2
    assert end.candidates[0].finish_reason is FinishReason.STOP


async def test_anthropic_error_event_mid_stream(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(Reply(chunks=["a", "b", "c"], error_event_after_chunks=1))
    stream = await anthropic_provider.stream_chat(REQUEST, CHAT_MODEL, _deadline())
    with pytest.raises(UpstreamError) as caught:
        await _drain(stream)
    assert caught.value.failure is FailureClass.OVERLOADED


async def test_anthropic_stream_without_message_stop_is_interrupted(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(Reply(chunks=["a", "b", "c"], cut_after_chunks=1))
    stream = await anthropic_provider.stream_chat(REQUEST, CHAT_MODEL, _deadline())
    with pytest.raises(UpstreamError) as caught:
        await _drain(stream)
    assert caught.value.failure is FailureClass.STREAM_INTERRUPTED


async def test_anthropic_529_is_overloaded(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(Reply(status=529, error_type="overloaded_error"))
    with pytest.raises(UpstreamError) as caught:
        await anthropic_provider.chat(REQUEST, CHAT_MODEL, _deadline())
    assert caught.value.failure is FailureClass.OVERLOADED


async def test_anthropic_close_disconnects(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(Reply(chunks=["x"] * 200, chunk_delay=0.02))
    stream = await anthropic_provider.stream_chat(REQUEST, CHAT_MODEL, _deadline())
    iterator = stream.__aiter__()
    while not isinstance(await iterator.__anext__(), TextDelta):
        pass
    await stream.aclose()
    await asyncio.wait_for(fake_anthropic.disconnected.wait(), timeout=3)


async def test_anthropic_models(anthropic_provider: AnthropicProvider) -> None:
    assert isinstance(await anthropic_provider.list_models(_deadline()), list)


def test_every_backend_kind_has_an_adapter_class() -> None:
    """The adapter table is complete and every entry names a class that builds a Provider."""
    from llmgw.domain.backends import BackendKind
    from llmgw.providers.registry import ADAPTERS, adapter_class

    assert set(ADAPTERS) == set(BackendKind)
    for kind in BackendKind:
        adapter = adapter_class(kind)
        assert callable(adapter) and hasattr(adapter, "chat"), kind
