"""Small builders and decoders for tests (proto requests, rich error details)."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from llmgateway.v1 import content_pb2, gateway_service_pb2


def user(text: str) -> content_pb2.Message:
    return content_pb2.Message(role=content_pb2.ROLE_USER, parts=[content_pb2.Part(text=text)])


def system(text: str) -> content_pb2.Message:
    return content_pb2.Message(role=content_pb2.ROLE_SYSTEM, parts=[content_pb2.Part(text=text)])


def chat(model: str, text: str = "hello", **kwargs: object) -> gateway_service_pb2.ChatRequest:
    return gateway_service_pb2.ChatRequest(model=model, messages=[user(text)], **kwargs)


def rich_status(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, "error carries no google.rpc.Status details"
    return status


def detail(error: grpc.aio.AioRpcError, kind: type) -> object:
    """The one detail of type ``kind`` (ErrorInfo, BadRequest, ...)."""
    found = []
    for any_detail in rich_status(error).details:
        message = kind()
        if any_detail.Is(message.DESCRIPTOR):
            any_detail.Unpack(message)
            found.append(message)
    assert len(found) == 1, f"expected exactly one {kind.__name__}, got {len(found)}"
    return found[0]


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    info = detail(error, error_details_pb2.ErrorInfo)
    assert isinstance(info, error_details_pb2.ErrorInfo)
    return info
