"""Property tests: no request, however malformed, crashes validation or conversion.

Hypothesis builds ChatRequests with arbitrary field values (out-of-range and
NaN floats, unknown enum numbers, empty parts, junk JSON schemas). Each must
either be rejected with field violations or convert cleanly to domain types.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llmgateway.v1 import content_pb2, gateway_service_pb2, generation_pb2
from llmgw.api.convert import chat_request
from llmgw.api.validation import check_chat
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
    return config


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
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests)
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


def test_no_request_reaches_internal_or_unknown_through_the_server() -> None:
    """The same generated requests through a real server: every answer is OK or
    a deliberate status, never UNKNOWN/INTERNAL, and the server keeps serving."""
    import asyncio

    import grpc
    from conftest import gateway_at
    from llmgateway.v1 import gateway_service_pb2_grpc

    samples: list[gateway_service_pb2.ChatRequest] = []

    @settings(max_examples=60, database=None, deadline=None)
    @given(requests)
    def collect(request: gateway_service_pb2.ChatRequest) -> None:
        samples.append(request)

    collect()

    async def run() -> list[grpc.StatusCode]:
        codes = []
        async with gateway_at() as running, grpc.aio.insecure_channel(
            running.data_address
        ) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            for sample in samples:
                sample.model = sample.model if sample.model.strip() else "demo-chat"
                try:
                    await stub.Chat(sample, timeout=10)
                    codes.append(grpc.StatusCode.OK)
                except grpc.aio.AioRpcError as exc:
                    codes.append(exc.code())
            await stub.Chat(
                gateway_service_pb2.ChatRequest(
                    model="demo-chat",
                    messages=[
                        content_pb2.Message(
                            role=content_pb2.ROLE_USER, parts=[content_pb2.Part(text="still up?")]
                        )
                    ],
                )
            )
        return codes

    codes = asyncio.run(run())
    assert grpc.StatusCode.INTERNAL not in codes and grpc.StatusCode.UNKNOWN not in codes
    assert set(codes) <= {
        grpc.StatusCode.OK,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
    }
