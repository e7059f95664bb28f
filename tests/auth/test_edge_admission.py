"""The edge's admission sets ``current_principal()`` inside the handler's own
task, for unary and streaming handlers, and a failed credential never reaches it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from llmgw.api.authz import AccessRules
from llmgw.api.edge import Edge, EdgeRegistrar
from llmgw.api.edge_auth import Admission, credential_from
from llmgw.api.principal_context import current_principal
from llmgw.auth.authenticator import Authenticator
from llmgw.domain.api_keys import ApiKeyRecord
from llmgw.domain.principal import Scope
from llmgw.storage.api_keys import ApiKeyStore, hash_secret, new_secret
from llmgw.storage.database import open_database

_RULES = AccessRules(
    methods={"/t.T/Unary": frozenset({Scope.CHAT}), "/t.T/Stream": frozenset({Scope.CHAT})},
    services={},
)


def _identity(_: bytes) -> bytes:
    return _


async def _unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    await asyncio.sleep(0)  # let another RPC interleave
    return current_principal().subject.encode()


async def _stream(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    for _ in range(3):
        await asyncio.sleep(0)
        yield current_principal().subject.encode()


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[str, dict[str, str]]]:
    db = await open_database(f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    store = ApiKeyStore(db)
    await store.migrate()
    secrets = {}
    for key_id in ("alice", "bob"):
        secret = new_secret()
        await store.create(
            ApiKeyRecord(key_id=key_id, tenant="t", scopes=frozenset({Scope.CHAT})),
            hash_secret(secret),
        )
        secrets[key_id] = secret
    server = grpc.aio.server()
    registrar = EdgeRegistrar(server, Edge(None, Admission(Authenticator(store), _RULES)))
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(_unary, _identity, _identity),
        "Stream": grpc.unary_stream_rpc_method_handler(_stream, _identity, _identity),
        "Unruled": grpc.unary_unary_rpc_method_handler(_unary, _identity, _identity),
    }
    registrar.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("t.T", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}", secrets
    finally:
        await server.stop(0)
        await db.close()


async def test_principal_is_the_callers_inside_unary_and_streaming_handlers(
    served: tuple[str, dict[str, str]],
) -> None:
    address, secrets = served
    async with grpc.aio.insecure_channel(address) as channel:
        unary = channel.unary_unary("/t.T/Unary")
        stream = channel.unary_stream("/t.T/Stream")

        async def as_(who: str) -> tuple[bytes, list[bytes]]:
            md = (("authorization", f"Bearer {secrets[who]}"),)
            one = await unary(b"", metadata=md)
            many = [item async for item in stream(b"", metadata=md)]
            return one, many

        results = await asyncio.gather(*(as_(w) for w in ("alice", "bob") * 5))
        for (one, many), who in zip(results, ("alice", "bob") * 5, strict=True):
            assert one == f"apiKeys/{who}".encode()
            assert many == [f"apiKeys/{who}".encode()] * 3
    # Outside any RPC the context is untouched.
    assert current_principal().subject == "anonymous"


async def test_no_credential_and_unruled_methods_never_reach_the_handler(
    served: tuple[str, dict[str, str]],
) -> None:
    address, secrets = served
    async with grpc.aio.insecure_channel(address) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            [x async for x in channel.unary_stream("/t.T/Stream")(b"")]
        assert missing.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as unruled:
            await channel.unary_unary("/t.T/Unruled")(
                b"", metadata=(("authorization", f"Bearer {secrets['alice']}"),)
            )
        assert unruled.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_credential_from_metadata() -> None:
    assert credential_from((("authorization", "Bearer abc"),)) == "abc"
    assert credential_from((("authorization", "bearer  abc "),)) == "abc"
    assert credential_from((("x-api-key", "k1"),)) == "k1"
    assert credential_from((("x-api-key", "k1"), ("authorization", "Bearer b"))) == "b"
    assert credential_from((("authorization", "Basic abc"),)) == ""
    assert credential_from(None) == ""
