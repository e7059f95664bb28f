"""CountTokens through the running gateway: the backend's own counter (vLLM
``/tokenize``, Anthropic ``count_tokens``), OpenAI's BPE counted offline, and
the script-aware upper bound, marked estimated, for everything else; plus the
bound measured against the real tokenizers on the mixed corpus."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from bpe_openai import _bindings as bpe
from conftest import gateway_at
from helpers import chat, system
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc
from llmgw.domain.token_bounds import upper_bound_tokens
from upstream_fakes import FakeAnthropic, FakeOpenAI

KEY = "sk-fake"
CORPUS = sorted((Path(__file__).parent.parent / "fixtures" / "token_corpus").glob("*.txt"))
O200K = bpe.tokenizer_for_encoding("o200k_base")
CL100K = bpe.tokenizer_for_encoding("cl100k_base")
CJK_400 = ("网关在收到请求后先检查调用者的预算和速率限制然后按照路由策略选择后端" * 20)[:400]


def _backend(name: str, url: str, model: str, **extra: object) -> dict[str, object]:
    return {"name": name, "base_url": url, "api_keys": [KEY], "models": [{"id": model}], **extra}


async def _count(address: str, request: gateway_service_pb2.ChatRequest):  # type: ignore[no-untyped-def]
    async with grpc.aio.insecure_channel(address) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        return await stub.CountTokens(gateway_service_pb2.CountTokensRequest(chat=request))


@pytest.fixture
async def gateway():  # type: ignore[no-untyped-def]
    async with FakeOpenAI(api_key=KEY) as openai, FakeAnthropic(api_key=KEY) as anthropic:
        settings = {
            "demo_enabled": True,
            "backends": [
                _backend("sidecar", openai.base_url, "qwen", kind="openai_compatible",
                         preset="vllm"),
                _backend("claude", anthropic.base_url, "claude-haiku-4-5", kind="anthropic"),
                _backend("oai", openai.base_url, "gpt-4o-mini", kind="openai_compatible"),
            ],
        }  # fmt: skip
        async with gateway_at(settings) as running:
            yield running, openai, anthropic


async def test_vllm_counts_with_its_tokenize_endpoint(gateway) -> None:  # type: ignore[no-untyped-def]
    running, openai, _ = gateway
    request = chat("sidecar/qwen", "count these five words please")
    answer = await _count(running.data_address, request)
    assert not answer.estimated
    assert answer.input_token_count == openai.token_counts[-1]
    sent = openai.requests[-1]
    assert sent.path == "/tokenize"  # at the server root, not under /v1
    assert sent.json["add_generation_prompt"] is True
    assert sent.json["messages"][-1]["content"] == "count these five words please"


async def test_anthropic_counts_with_count_tokens(gateway) -> None:  # type: ignore[no-untyped-def]
    running, _, anthropic = gateway
    request = chat("claude/claude-haiku-4-5", "how many tokens is this")
    request.messages.insert(0, system("be brief"))
    answer = await _count(running.data_address, request)
    assert not answer.estimated
    assert answer.input_token_count == anthropic.token_counts[-1]
    sent = anthropic.requests[-1]
    assert sent.path == "/v1/messages/count_tokens"
    assert "max_tokens" not in sent.json and sent.json["system"]


async def test_openai_model_counts_with_the_bundled_bpe_offline(gateway) -> None:  # type: ignore[no-untyped-def]
    running, openai, _ = gateway
    before = len(openai.requests)
    answer = await _count(running.data_address, chat("oai/gpt-4o-mini", CJK_400))
    assert not answer.estimated
    # OpenAI's documented chat framing: 3 per message + role + content, 3 priming.
    assert answer.input_token_count == 3 + 3 + O200K.count("user") + O200K.count(CJK_400)
    assert len(openai.requests) == before  # counted locally, no upstream call


async def test_model_without_a_tokenizer_gets_a_marked_bound_that_does_not_undercount(
    gateway,  # type: ignore[no-untyped-def]
) -> None:
    running, _, _ = gateway
    answer = await _count(running.data_address, chat("demo-chat", CJK_400))
    assert answer.estimated
    real = max(O200K.count(CJK_400), CL100K.count(CJK_400))
    assert answer.input_token_count >= real >= 300  # the old rule said 104


async def test_a_failing_backend_count_falls_back_to_the_marked_bound() -> None:
    async with FakeAnthropic(api_key="another-key") as anthropic:
        backend = _backend("claude", anthropic.base_url, "claude-haiku-4-5", kind="anthropic")
        async with gateway_at({"demo_enabled": False, "backends": [backend]}) as running:
            answer = await _count(running.data_address, chat("claude-haiku-4-5", "hello there"))
    assert answer.estimated and answer.input_token_count >= 2
    assert anthropic.requests[-1].path == "/v1/messages/count_tokens"  # it was asked (401)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_upper_bound_holds_against_real_tokenizers_on_the_corpus(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    bound = upper_bound_tokens(text)
    assert bound >= O200K.count(text) and bound >= CL100K.count(text)
    assert bound <= 2.5 * min(O200K.count(text), CL100K.count(text))  # useful, not bytes

