"""Both reflection protocols on both ports: ``buf curl --reflect-protocol grpc-v1``
lists and calls the services; v1 and v1alpha answer the same questions."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from conftest import gateway_at
from google.protobuf import descriptor_pb2
from grpc_reflection.v1alpha import reflection_pb2
from llmgw.app import Running

pytestmark = pytest.mark.slow

BUF = Path(sys.executable).parent / "buf"
ADMIN_KEY = "bootstrap-admin-secret-" + "r" * 24


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    async with gateway_at({"auth": {"bootstrap_admin_key": ADMIN_KEY}}) as gateway:
        yield gateway


async def _buf_curl(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        str(BUF),
        "curl",
        "--protocol",
        "grpc",
        "--http2-prior-knowledge",
        "--reflect-protocol",
        "grpc-v1",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_buf_curl_v1_lists_and_calls_both_planes(running: Running) -> None:
    auth = ("-H", f"authorization: Bearer {ADMIN_KEY}", "--reflect-header", "*")
    data = f"http://{running.data_address}"
    admin = f"http://{running.admin_address}"

    services = set((await _buf_curl("--list-services", data)).split())
    assert {
        "llmgateway.v1.GatewayService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= services
    methods = set((await _buf_curl("--list-methods", data)).split())
    assert {
        "llmgateway.v1.GatewayService/Chat",
        "llmgateway.v1.GatewayService/StreamChat",
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    } <= methods

    body = {"model": "demo-chat", "messages": [{"role": "ROLE_USER", "parts": [{"text": "hi"}]}]}
    reply = json.loads(
        await _buf_curl(*auth, "-d", json.dumps(body), f"{data}/llmgateway.v1.GatewayService/Chat")
    )
    assert "hi" in reply["candidates"][0]["message"]["parts"][0]["text"]

    # Admin-plane reflection needs a credential; with one, v1 works there too.
    admin_services = set((await _buf_curl(*auth, "--list-services", admin)).split())
    assert {"llmgateway.v1.AdminService", "grpc.reflection.v1.ServerReflection"} <= admin_services
    backends = json.loads(
        await _buf_curl(*auth, "-d", "{}", f"{admin}/llmgateway.v1.AdminService/ListBackends")
    )
    assert any(b["name"].split("/")[-1] == "demo" for b in backends["backends"])


async def _reflect(
    address: str, version: str, request: reflection_pb2.ServerReflectionRequest
) -> reflection_pb2.ServerReflectionResponse:
    async with grpc.aio.insecure_channel(address) as channel:
        call = channel.stream_stream(
            f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        replies = [reply async for reply in call(iter([request]), timeout=10)]
    assert len(replies) == 1
    return replies[0]


async def test_v1_and_v1alpha_answer_alike_and_v1_describes_itself(running: Running) -> None:
    listing = reflection_pb2.ServerReflectionRequest(list_services="")
    v1 = await _reflect(running.data_address, "v1", listing)
    v1alpha = await _reflect(running.data_address, "v1alpha", listing)
    assert v1.list_services_response == v1alpha.list_services_response

    symbol = reflection_pb2.ServerReflectionRequest(
        file_containing_symbol="grpc.reflection.v1.ServerReflection"
    )
    described = await _reflect(running.data_address, "v1", symbol)
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in described.file_descriptor_response.file_descriptor_proto
    ]
    own = next(f for f in files if f.name == "grpc/reflection/v1/reflection.proto")
    method = own.service[0].method[0]
    assert own.package == "grpc.reflection.v1"
    assert method.input_type == ".grpc.reflection.v1.ServerReflectionRequest"
    assert method.output_type == ".grpc.reflection.v1.ServerReflectionResponse"
