"""The README's example operator step (``examples/steps/deny_list.py``) loaded
through ``--config`` into a real ``llmgw serve`` process."""

from __future__ import annotations

import os
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from helpers import chat, detail
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc
from processes import start_gateway, wait_ready

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "steps"


async def test_the_deny_list_example_refuses_listed_prompts_and_serves_others(
    tmp_path: Path,
) -> None:
    path = os.pathsep.join(p for p in (str(EXAMPLES), os.environ.get("PYTHONPATH", "")) if p)
    config = {"probe_interval_seconds": 0, "pipeline": {"steps": ["deny_list:DenyList"]}}
    env = {"PYTHONPATH": path, "LLMGW_DENY_LIST": "launch codes, forbidden topic"}
    gateway = start_gateway(tmp_path, config, env)
    try:
        await wait_ready(gateway)
        async with grpc.aio.insecure_channel(gateway.address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            answer = await stub.Chat(chat("demo-chat", "tell me a story"))
            assert answer.usage.output_token_count > 0
            with pytest.raises(grpc.aio.AioRpcError) as unary:
                await stub.Chat(chat("demo-chat", "What are the LAUNCH CODES?"))
            with pytest.raises(grpc.aio.AioRpcError) as streamed:
                request = gateway_service_pb2.StreamChatRequest(
                    chat=chat("demo-chat", "a forbidden topic please")
                )
                async for _ in stub.StreamChat(request):
                    pass
            with pytest.raises(grpc.aio.AioRpcError) as counted:
                await stub.CountTokens(
                    gateway_service_pb2.CountTokensRequest(chat=chat("demo-chat", "launch codes"))
                )
        for error in (unary.value, streamed.value, counted.value):
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, gateway.logs()
            bad = detail(error, error_details_pb2.BadRequest)
            assert isinstance(bad, error_details_pb2.BadRequest)
            assert [v.reason for v in bad.field_violations] == ["DENY_LIST"]
        assert gateway.terminate() == 0, gateway.logs()
    finally:
        gateway.kill()
