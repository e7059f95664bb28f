"""Operator steps loaded from ``pipeline.steps`` into a real gateway (in process).

The example deny-list step in a real ``llmgw serve`` process is in
``tests/e2e/test_example_step.py``."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
import step_fixtures
from conftest import gateway_at
from helpers import chat, error_info
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc
from llmgw.config import Settings
from llmgw.pipeline.loader import load_steps

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "steps"


@pytest.fixture(autouse=True)
def _reset() -> None:
    step_fixtures.SEEN.clear()


async def test_a_custom_step_sees_the_plan_before_and_the_final_usage_after() -> None:
    async with gateway_at({"pipeline": {"steps": ["step_fixtures:Recorder"]}}) as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            response = await stub.Chat(chat("demo-chat", "hello there"))
    before, after = step_fixtures.SEEN
    assert before == {"event": "before", "operation": "chat", "targets": ["demo"]}
    assert after["output_tokens"] == response.usage.output_token_count > 0
    assert after["error"] is None


async def test_a_stream_runs_the_finalizers_once_at_the_end_with_final_usage() -> None:
    async with gateway_at({"pipeline": {"steps": ["step_fixtures:Recorder"]}}) as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            request = gateway_service_pb2.StreamChatRequest(chat=chat("demo-chat", "stream me"))
            events = [event async for event in stub.StreamChat(request)]
    final = events[-1].final
    afters = [seen for seen in step_fixtures.SEEN if seen["event"] == "after"]
    assert len(afters) == 1
    assert afters[0]["operation"] == "stream_chat"
    assert afters[0]["output_tokens"] == final.usage.output_token_count > 0
    assert afters[0]["error"] is None


async def test_an_exception_in_a_custom_step_is_internal_without_its_text() -> None:
    steps = ["step_fixtures:Recorder", "step_fixtures:Crashes"]
    async with gateway_at({"pipeline": {"steps": steps}}) as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.Chat(chat("demo-chat"))
    assert caught.value.code() == grpc.StatusCode.INTERNAL
    assert "sk-secret-canary" not in (caught.value.details() or "")
    assert "internal detail" not in str(caught.value.trailing_metadata())
    # the completed step's finalizer ran, seeing the failure
    assert step_fixtures.SEEN[-1]["event"] == "after"
    assert step_fixtures.SEEN[-1]["error"] == "RuntimeError"


async def test_a_gateway_error_from_a_custom_step_reaches_the_caller_as_itself() -> None:
    async with gateway_at({"pipeline": {"steps": ["step_fixtures:Refuses"]}}) as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.Chat(chat("demo-chat"))
            with pytest.raises(grpc.aio.AioRpcError) as streamed:
                request = gateway_service_pb2.StreamChatRequest(chat=chat("demo-chat"))
                async for _ in stub.StreamChat(request):
                    pass
    for error in (caught.value, streamed.value):
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "refused by an operator step" in (error.details() or "")
        assert error_info(error).reason


def test_a_step_path_that_does_not_load_fails_start_up_naming_it() -> None:
    with pytest.raises(ValueError, match="step_fixtures:Missing"):
        load_steps(["step_fixtures:Missing"], use_entry_points=False)
    with pytest.raises(ValueError, match=r"not 'package\.module:StepClass'"):
        Settings.model_validate({"pipeline": {"steps": ["no_colon"]}})


async def test_the_example_step_labels_the_ledger_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    async with gateway_at({"pipeline": {"steps": ["deny_list:DenyList"]}}) as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            await stub.Chat(chat("demo-chat", "hello", request_id="labelled-1"))
        assert running.costs is not None and running.costs.ledger is not None
        await running.costs.ledger.flush()
        rows = await running.costs.ledger.attempts("labelled-1")
    assert [dict(row.labels).get("screened") for row in rows] == ["deny-list"]
