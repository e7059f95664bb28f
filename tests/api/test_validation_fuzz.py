"""Property tests: no request, however malformed, crashes validation or conversion.

Hypothesis builds ChatRequests with arbitrary field values (out-of-range and
NaN floats, unknown enum numbers, empty parts, junk JSON schemas, arbitrary
``backend_parameters`` Structs, oversized or odd attribution and request ids).
Each must either be rejected with field violations or convert cleanly to
domain types whose pass-through keys are allowed and encodable for every
dialect. Through the server: never ``INTERNAL``/``UNKNOWN`` for caller input,
never a secret in the answer.
"""

from __future__ import annotations

import math

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llmgateway.v1 import content_pb2, gateway_service_pb2, generation_pb2
from llmgw.api.convert import chat_request
from llmgw.api.validation import MAX_END_USER_ID, MAX_LABELS, check_chat
from llmgw.domain import backend_parameters as pass_through
from llmgw.domain.backends import BackendKind
from llmgw.domain.errors import InvalidRequestError

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
ints32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)

parts = st.one_of(
    st.builds(lambda t: content_pb2.Part(text=t), st.text(max_size=20)),
    st.just(content_pb2.Part()),
    st.builds(
        lambda m, d: content_pb2.Part(media=content_pb2.Media(mime_type=m, data=d)),
        st.sampled_from(["", "image/png"]),
        st.binary(max_size=8),
    ),
    st.builds(
        lambda i, n, a: content_pb2.Part(
            tool_call=content_pb2.ToolCall(id=i, name=n, arguments_json=a)
        ),
        st.text(max_size=4),
        st.text(max_size=4),
        st.text(max_size=8),
    ),
    st.builds(
        lambda i: content_pb2.Part(
            tool_result=content_pb2.ToolResult(tool_call_id=i, content=[content_pb2.Part(text="r")])
        ),
        st.text(max_size=4),
    ),
)
messages = st.builds(
    lambda role, ps: content_pb2.Message(role=role, parts=ps),
    st.integers(min_value=-1, max_value=9),
    st.lists(parts, max_size=3),
)


json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    floats,
    st.integers(min_value=-(2**63), max_value=2**63),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
parameter_keys = st.one_of(
    st.sampled_from(sorted(pass_through.RULES)),
    st.sampled_from(sorted(pass_through.REDIRECTS)),
    st.text(max_size=12),
)
token_biases = st.dictionaries(
    st.one_of(st.integers(0, 100_000).map(str), st.text(max_size=4)), floats, max_size=4
)


@st.composite
def backend_parameter_dicts(draw: st.DrawFn) -> dict[str, object]:
    """Mostly plausible keys with any JSON value; ``logit_bias`` gets bias maps."""
    params: dict[str, object] = {}
    for key in draw(st.lists(parameter_keys, max_size=5)):
        params[key] = draw(token_biases if key == "logit_bias" else json_values)
    return params


@st.composite
def generation_configs(draw: st.DrawFn) -> generation_pb2.GenerationConfig:
    config = generation_pb2.GenerationConfig()
    for name in ("temperature", "top_p", "presence_penalty", "frequency_penalty"):
        if draw(st.booleans()):
            setattr(config, name, draw(floats))
    for name in ("top_k", "max_output_tokens", "candidate_count", "top_logprobs"):
        if draw(st.booleans()):
            setattr(config, name, draw(ints32))
    config.stop_sequences.extend(draw(st.lists(st.text(max_size=3), max_size=20)))
    if draw(st.booleans()):
        config.response_format.json_schema.schema_json = draw(st.text(max_size=10))
    if draw(st.booleans()):
        config.reasoning.effort = draw(st.integers(min_value=0, max_value=9))
    if draw(st.booleans()):
        config.backend_parameters.update(draw(backend_parameter_dicts()))
    return config


label_keys = st.one_of(st.from_regex(r"[a-z][a-z0-9_-]{0,70}", fullmatch=True), st.text(max_size=8))
ids = st.one_of(
    st.text(max_size=8),
    st.from_regex(r"[A-Za-z0-9._:/+=@-]{0,140}", fullmatch=True),
    st.integers(0, 300).map(lambda n: "u" * n),
)


@st.composite
def with_attribution(
    draw: st.DrawFn, request: gateway_service_pb2.ChatRequest
) -> gateway_service_pb2.ChatRequest:
    if draw(st.booleans()):
        request.attribution.labels.update(
            draw(st.dictionaries(label_keys, st.text(max_size=300), max_size=20))
        )
        request.attribution.end_user_id = draw(ids)
        request.attribution.project = draw(ids)
    if draw(st.booleans()):
        request.request_id = draw(ids)
    return request


tools = st.builds(
    lambda n, s: content_pb2.Tool(
        function=content_pb2.FunctionDeclaration(name=n, parameters_json_schema=s)
    ),
    st.text(max_size=70),
    st.one_of(st.just(""), st.just('{"type":"object"}'), st.text(max_size=10)),
)

requests = st.builds(
    lambda model, msgs, config, ts: gateway_service_pb2.ChatRequest(
        model=model, messages=msgs, generation_config=config, tools=ts
    ),
    st.text(max_size=10),
    st.lists(messages, max_size=4),
    generation_configs(),
    st.lists(tools, max_size=2),
).flatmap(with_attribution)


def _valid_chat(model: str, params: dict[str, object]) -> gateway_service_pb2.ChatRequest:
    request = gateway_service_pb2.ChatRequest(
        model=model,
        messages=[
            content_pb2.Message(role=content_pb2.ROLE_USER, parts=[content_pb2.Part(text="hi")])
        ],
    )
    if params:
        request.generation_config.backend_parameters.update(params)
    return request


plausible_parameters = st.fixed_dictionaries(
    {},
    optional={
        "min_p": st.floats(0, 1),
        "repetition_penalty": st.floats(0.01, 10),
        "logit_bias": st.dictionaries(
            st.integers(0, 99_999).map(str), st.integers(-100, 100), max_size=3
        ),
        "skip_special_tokens": st.booleans(),
        "prompt_cache_key": st.text(max_size=20),
    },
)


@st.composite
def plausible_attribution(
    draw: st.DrawFn, request: gateway_service_pb2.ChatRequest
) -> gateway_service_pb2.ChatRequest:
    keys = st.from_regex(r"[a-z][a-z0-9_-]{0,62}", fullmatch=True)
    values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=256)
    request.attribution.labels.update(draw(st.dictionaries(keys, values, max_size=16)))
    request.attribution.end_user_id = draw(st.from_regex(r"[a-z0-9]{0,64}", fullmatch=True))
    request.request_id = draw(st.uuids().map(str))
    return request


# Otherwise valid chats whose only fuzzed parts are the pass-through parameters
# and the attribution, so that both outcomes (accepted, refused) are exercised.
focused = st.builds(
    _valid_chat,
    st.sampled_from(["demo-chat", "fake-model"]),  # the server test's two backends
    st.one_of(plausible_parameters, backend_parameter_dicts()),
).flatmap(lambda r: st.one_of(plausible_attribution(r), with_attribution(r)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(requests, focused))
def test_invalid_requests_are_rejected_and_valid_ones_convert(request) -> None:
    try:
        check_chat(request)
    except InvalidRequestError as exc:
        assert exc.violations
        assert all(v.field and v.description for v in exc.violations)
        return
    converted = chat_request(request)
    assert converted.model == request.model.strip() and converted.model
    temperature = converted.generation.temperature
    assert temperature is None or (math.isfinite(temperature) and 0 <= temperature <= 2)
    params = converted.generation.backend_parameters
    assert set(params) <= set(pass_through.RULES)  # an allow-list, whatever was sent
    for dialect in BackendKind:
        forwarded = pass_through.forwarded(params, dialect)
        assert forwarded == {
            k: v for k, v in params.items() if dialect in pass_through.RULES[k].dialects
        }
        orjson.dumps(forwarded)  # encodable: no NaN/inf, no odd types
    labels = dict(converted.attribution.labels)
    assert len(labels) <= MAX_LABELS and all(k.islower() and len(k) <= 63 for k in labels)
    assert len(converted.attribution.end_user_id) <= MAX_END_USER_ID
    assert len(converted.request_id) <= 128


CANARY = "sk-canary-fuzz-upstream-key-0123456789"


def test_no_request_reaches_internal_or_unknown_through_the_server() -> None:
    """The same generated requests through a real server, half to the demo
    backend and half to a fake OpenAI-compatible upstream holding a canary key:
    every answer is OK or a deliberate status, never UNKNOWN/INTERNAL, no answer
    or error carries the key, and the server keeps serving."""
    import asyncio

    import grpc
    from conftest import gateway_at
    from llmgateway.v1 import gateway_service_pb2_grpc
    from upstream_fakes import FakeOpenAI

    samples: list[gateway_service_pb2.ChatRequest] = []

    @settings(max_examples=80, database=None, deadline=None)
    @given(st.one_of(requests, focused))
    def collect(request: gateway_service_pb2.ChatRequest) -> None:
        samples.append(request)

    collect()

    async def run() -> tuple[list[grpc.StatusCode], list[str], list[dict[str, object]]]:
        codes: list[grpc.StatusCode] = []
        answers: list[str] = []
        async with FakeOpenAI(api_key=CANARY) as upstream:
            backend = {
                "name": "fake",
                "kind": "openai_compatible",
                "base_url": upstream.base_url,
                "api_keys": [CANARY],
                "models": [{"id": "fake-model", "capabilities": ["streaming", "tools"]}],
                "retry": {"max_retries": 0},
            }
            async with (
                gateway_at({"backends": [backend]}) as running,
                grpc.aio.insecure_channel(running.data_address) as channel,
            ):
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                for i, sample in enumerate(samples):
                    if not sample.model.strip():
                        sample.model = "fake-model" if i % 2 else "demo-chat"
                    try:
                        response = await stub.Chat(sample, timeout=10)
                        codes.append(grpc.StatusCode.OK)
                        answers.append(str(response))
                    except grpc.aio.AioRpcError as exc:
                        codes.append(exc.code())
                        answers.append(f"{exc.details()} {exc.trailing_metadata()}")
                await stub.Chat(  # still up, and at least one body reaches the fake
                    gateway_service_pb2.ChatRequest(
                        model="fake-model",
                        messages=[
                            content_pb2.Message(
                                role=content_pb2.ROLE_USER,
                                parts=[content_pb2.Part(text="still up?")],
                            )
                        ],
                    )
                )
            sent = [r.json for r in upstream.requests]
        return codes, answers, sent

    codes, answers, sent = asyncio.run(run())
    assert grpc.StatusCode.OK in codes and grpc.StatusCode.INVALID_ARGUMENT in codes
    assert grpc.StatusCode.INTERNAL not in codes and grpc.StatusCode.UNKNOWN not in codes
    assert set(codes) <= {
        grpc.StatusCode.OK,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
    }
    assert not any(CANARY in answer for answer in answers)
    assert sent, "no fuzzed request reached the fake upstream"
    for body in sent:  # only allow-listed engine keys beside what the codec sets
        extra = set(body) - {"model", "messages", "tools", "tool_choice", "user"}
        assert extra <= {"min_p", "repetition_penalty", "logit_bias", "skip_special_tokens"} | {
            "temperature",
            "top_p",
            "top_k",
            "max_tokens",
            "seed",
            "stop",
            "n",
            "presence_penalty",
            "frequency_penalty",
            "logprobs",
            "top_logprobs",
            "response_format",
            "reasoning_effort",
            "parallel_tool_calls",
            "guided_regex",
            "guided_grammar",
            "typical_p",
            "top_a",
            "include_stop_str_in_output",
        }, extra
