"""Admin-plane client for ``llmgw keys ...`` (create, list, rotate, revoke).

Lives in ``api/`` because only this package speaks gRPC; the CLI gets plain
``KeyRow`` values. The admin credential travels as ``authorization: Bearer``
metadata and is never printed. Errors are ``CallError`` (code name + message).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import grpc
from google.protobuf import duration_pb2, timestamp_pb2
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc

from llmgw.cli.client import bearer
from llmgw.cli.rpc_errors import ADMIN, call_error

_pb = admin_service_pb2
_DEADLINE = 30.0


@dataclass(frozen=True, slots=True)
class KeyRow:
    key_id: str
    tenant: str
    state: str
    scopes: tuple[str, ...]
    secret_prefix: str
    project: str = ""
    models: tuple[str, ...] = ()
    expire_time: str = ""
    create_time: str = ""
    secret: str = field(default="", repr=False)  # only from create / rotate


@dataclass(frozen=True, slots=True)
class NewKey:
    """What ``llmgw keys create`` asks for."""

    tenant: str
    scopes: Sequence[str]
    key_id: str = ""
    display_name: str = ""
    project: str = ""
    allowed_projects: Sequence[str] = ()
    end_user: str = ""
    models: Sequence[str] = ()
    rpm: int = 0
    input_tpm: int = 0
    output_tpm: int = 0
    expire_seconds: float = 0.0  # from now; 0 = never


@asynccontextmanager
async def _stub(address: str) -> AsyncIterator[admin_service_pb2_grpc.AdminServiceStub]:
    async with grpc.aio.insecure_channel(address) as channel:
        yield admin_service_pb2_grpc.AdminServiceStub(channel)


def _metadata(key: str) -> tuple[tuple[str, str], ...]:
    return bearer(key)


async def create_key(address: str, key: str, new: NewKey) -> KeyRow:
    message = _pb.ApiKey(
        tenant=new.tenant,
        display_name=new.display_name,
        project=new.project,
        allowed_projects=list(new.allowed_projects),
        end_user_id=new.end_user,
        scopes=list(new.scopes),
        allowed_models=list(new.models),
        requests_per_minute=new.rpm,
        input_tokens_per_minute=new.input_tpm,
        output_tokens_per_minute=new.output_tpm,
    )
    if new.expire_seconds > 0:
        message.expire_time.CopyFrom(
            timestamp_pb2.Timestamp(seconds=int(datetime.now(UTC).timestamp() + new.expire_seconds))
        )
    try:
        async with _stub(address) as stub:
            reply = await stub.CreateApiKey(
                _pb.CreateApiKeyRequest(api_key=message, key_id=new.key_id),
                metadata=_metadata(key),
                timeout=_DEADLINE,
            )
    except grpc.aio.AioRpcError as exc:
        raise call_error(exc, address, ADMIN) from exc
    return _row(reply.api_key, reply.secret)


@dataclass(frozen=True, slots=True)
class KeyListing:
    rows: list[KeyRow]
    # The gateway runs with authentication off: keys are stored, none is needed.
    authentication_disabled: bool = False


async def list_keys(
    address: str, key: str, *, tenant: str = "", show_inactive: bool = False
) -> KeyListing:
    rows: list[KeyRow] = []
    token = ""
    try:
        async with _stub(address) as stub:
            while True:
                page = await stub.ListApiKeys(
                    _pb.ListApiKeysRequest(
                        page_size=1000, page_token=token, tenant=tenant, show_inactive=show_inactive
                    ),
                    metadata=_metadata(key),
                    timeout=_DEADLINE,
                )
                rows.extend(_row(k) for k in page.api_keys)
                token = page.next_page_token
                if not token:
                    return KeyListing(rows, page.authentication_disabled)
    except grpc.aio.AioRpcError as exc:
        raise call_error(exc, address, ADMIN) from exc


async def rotate_key(address: str, key: str, key_id: str, grace_seconds: float = 0.0) -> KeyRow:
    request = _pb.RotateApiKeyRequest(name=f"apiKeys/{key_id.removeprefix('apiKeys/')}")
    if grace_seconds > 0:
        request.grace_period.CopyFrom(duration_pb2.Duration(seconds=int(grace_seconds)))
    try:
        async with _stub(address) as stub:
            reply = await stub.RotateApiKey(request, metadata=_metadata(key), timeout=_DEADLINE)
    except grpc.aio.AioRpcError as exc:
        raise call_error(exc, address, ADMIN) from exc
    return _row(reply.api_key, reply.secret)


async def revoke_key(address: str, key: str, key_id: str) -> KeyRow:
    request = _pb.RevokeApiKeyRequest(name=f"apiKeys/{key_id.removeprefix('apiKeys/')}")
    try:
        async with _stub(address) as stub:
            reply = await stub.RevokeApiKey(request, metadata=_metadata(key), timeout=_DEADLINE)
    except grpc.aio.AioRpcError as exc:
        raise call_error(exc, address, ADMIN) from exc
    return _row(reply.api_key)


def _row(key: admin_service_pb2.ApiKey, secret: str = "") -> KeyRow:
    return KeyRow(
        key_id=key.key_id,
        tenant=key.tenant,
        state=_pb.ApiKeyState.Name(key.state).removeprefix("API_KEY_STATE_").lower(),
        scopes=tuple(key.scopes),
        secret_prefix=key.secret_prefix,
        project=key.project.removeprefix("projects/"),
        models=tuple(key.allowed_models),
        expire_time=_iso(key.expire_time) if key.HasField("expire_time") else "",
        create_time=_iso(key.create_time) if key.HasField("create_time") else "",
        secret=secret,
    )


def _iso(ts: timestamp_pb2.Timestamp) -> str:
    return datetime.fromtimestamp(ts.seconds, UTC).isoformat().replace("+00:00", "Z")
