"""Gateway API keys: create -> works, list never shows the secret, rotate ->
the old secret stops (at once or after its grace), revoke -> stops, expiry,
cache propagation across replicas, bootstrap admin key, no escalation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from conftest import gateway_at
from databases import state_database
from google.protobuf import duration_pb2, timestamp_pb2
from helpers import chat
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc, gateway_service_pb2_grpc
from llmgw.api.admin.keys import KeyAdmin
from llmgw.auth.authenticator import Authenticator
from llmgw.domain.errors import GatewayOverloadedError, UnauthenticatedError
from llmgw.domain.principal import ALL_SCOPES, Principal, Scope
from llmgw.storage.api_keys import (
    BOOTSTRAP_KEY_ID,
    ApiKeyStore,
    ensure_bootstrap_key,
    hash_secret,
    new_secret,
)

ADMIN_KEY = "bootstrap-admin-secret-0123456789abcdef"
_pb = admin_service_pb2


class Clock:
    """A wall clock (called) that is also a ``domain.clock.Clock`` (``now()``)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.at = now

    def __call__(self) -> float:
        return self.at

    def now(self) -> float:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.at += seconds

    def jitter(self) -> float:
        return 0.0


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ApiKeyStore]:
    """The key store on the embedded SQLite file and on a fresh PostgreSQL database."""
    async with state_database(request.param, tmp_path) as db:
        keys = ApiKeyStore(db)
        await keys.migrate()
        yield keys


ROOT = Principal(subject="root", scopes=ALL_SCOPES)


def _create(**fields: object) -> _pb.CreateApiKeyRequest:
    key = _pb.ApiKey(tenant="acme", scopes=["chat"])
    for name, value in fields.items():
        if name == "expire_time":
            key.expire_time.CopyFrom(timestamp_pb2.Timestamp(seconds=int(value)))  # type: ignore[call-overload]
        elif isinstance(value, list):
            del getattr(key, name)[:]
            getattr(key, name).extend(value)
        else:
            setattr(key, name, value)
    return _pb.CreateApiKeyRequest(api_key=key)


async def test_secret_format_and_only_its_hash_is_stored(store: ApiKeyStore) -> None:
    admin = KeyAdmin(store)
    reply = await admin.create(_create(), ROOT)
    assert reply.secret.startswith("llmgw_") and len(reply.secret) >= 48
    assert reply.api_key.secret_prefix == reply.secret[:10]
    rows = await store._db.fetch("SELECT * FROM api_keys")
    rows += await store._db.fetch("SELECT * FROM api_key_secrets")
    dump = repr(rows)
    assert reply.secret not in dump and reply.secret[10:] not in dump
    assert hash_secret(reply.secret) in dump


async def test_rotation_with_grace_then_expiry_and_revocation(store: ApiKeyStore) -> None:
    wall, mono = Clock(), Clock(0.0)
    auth = Authenticator(store, cache_ttl=5.0, wall=wall, clock=mono)
    admin = KeyAdmin(store, auth, wall=wall)
    created = await admin.create(_create(expire_time=wall.at + 3600), ROOT)
    old = created.secret
    assert (await auth.authenticate(old)).key_id == created.api_key.key_id

    grace = duration_pb2.Duration(seconds=60)
    rotated = await admin.rotate(
        _pb.RotateApiKeyRequest(name=created.api_key.name, grace_period=grace)
    )
    assert rotated.secret != old and rotated.api_key.HasField("rotate_time")
    assert (await auth.authenticate(rotated.secret)).key_id == created.api_key.key_id
    assert (await auth.authenticate(old)).key_id == created.api_key.key_id  # in grace
    wall.at += 61
    with pytest.raises(UnauthenticatedError):
        await auth.authenticate(old)  # grace over, even from the cache
    assert await auth.authenticate(rotated.secret)

    wall.at += 3600  # past expire_time
    with pytest.raises(UnauthenticatedError):
        await auth.authenticate(rotated.secret)
    listed = await admin.list(_pb.ListApiKeysRequest(show_inactive=True))
    assert [k.state for k in listed.api_keys] == [_pb.API_KEY_STATE_EXPIRED]
    assert not (await admin.list(_pb.ListApiKeysRequest())).api_keys


async def test_rotation_without_grace_stops_the_old_secret_at_once(store: ApiKeyStore) -> None:
    auth = Authenticator(store)
    admin = KeyAdmin(store, auth)
    created = await admin.create(_create(), ROOT)
    await auth.authenticate(created.secret)  # now cached
    rotated = await admin.rotate(_pb.RotateApiKeyRequest(name=created.api_key.name))
    with pytest.raises(UnauthenticatedError):
        await auth.authenticate(created.secret)
    assert await auth.authenticate(rotated.secret)


async def test_revocation_reaches_another_replica_within_the_cache_ttl(store: ApiKeyStore) -> None:
    mono = Clock(0.0)
    here = Authenticator(store, cache_ttl=5.0, clock=mono)
    there = Authenticator(store, cache_ttl=5.0, clock=mono)  # same database, own cache
    admin = KeyAdmin(store, here)
    created = await admin.create(_create(), ROOT)
    assert await here.authenticate(created.secret) and await there.authenticate(created.secret)
    await admin.revoke(_pb.RevokeApiKeyRequest(name=created.api_key.name))
    with pytest.raises(UnauthenticatedError):
        await here.authenticate(created.secret)  # this replica: at once
    assert await there.authenticate(created.secret)  # the other: cached...
    mono.at += 5.0
    with pytest.raises(UnauthenticatedError):
        await there.authenticate(created.secret)  # ...until the TTL passes


async def test_the_hot_path_does_no_database_io_after_the_first_call(store: ApiKeyStore) -> None:
    calls = 0
    lookup = store.lookup

    async def counting(digest: str):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return await lookup(digest)

    store.lookup = counting  # type: ignore[method-assign]
    auth = Authenticator(store)
    created = await KeyAdmin(store, auth).create(_create(), ROOT)
    for _ in range(100):
        await auth.authenticate(created.secret)
    for _ in range(100):
        with pytest.raises(UnauthenticatedError):
            await auth.authenticate("llmgw_garbage")
    assert calls == 2


async def test_a_key_cannot_grant_scopes_its_creator_lacks(store: ApiKeyStore) -> None:
    from llmgw.domain.errors import PermissionDeniedError

    writer = Principal(subject="apiKeys/ops", scopes=frozenset({Scope.ADMIN_WRITE}))
    with pytest.raises(PermissionDeniedError):
        await KeyAdmin(store).create(_create(), writer)  # asks for chat


async def test_bootstrap_key_is_created_once_and_a_revoked_one_stays_revoked(
    store: ApiKeyStore,
) -> None:
    assert await ensure_bootstrap_key(store, ADMIN_KEY)
    assert not await ensure_bootstrap_key(store, ADMIN_KEY)
    auth = Authenticator(store)
    principal = await auth.authenticate(ADMIN_KEY)
    assert principal.key_id == BOOTSTRAP_KEY_ID and principal.scopes == ALL_SCOPES
    await store.revoke(BOOTSTRAP_KEY_ID, now=1.0)
    assert not await ensure_bootstrap_key(store, ADMIN_KEY)  # a restart does not resurrect it
    with pytest.raises(UnauthenticatedError):
        await Authenticator(store).authenticate(ADMIN_KEY)


async def test_lifecycle_through_the_admin_plane() -> None:
    as_admin = (("authorization", f"Bearer {ADMIN_KEY}"),)
    async with (
        gateway_at({"auth": {"bootstrap_admin_key": ADMIN_KEY}}) as running,
        grpc.aio.insecure_channel(running.admin_address) as admin_channel,
        grpc.aio.insecure_channel(running.data_address) as data_channel,
    ):
        admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
        data = gateway_service_pb2_grpc.GatewayServiceStub(data_channel)

        async def chats(secret: str) -> grpc.StatusCode:
            try:
                await data.Chat(
                    chat("demo-chat"), metadata=(("authorization", f"Bearer {secret}"),)
                )
            except grpc.aio.AioRpcError as exc:
                return exc.code()
            return grpc.StatusCode.OK

        request = _create(project="projects/p1", display_name="ci")
        request.key_id = "ci-bot"
        created = await admin.CreateApiKey(request, metadata=as_admin)
        assert created.api_key.name == "apiKeys/ci-bot"
        assert await chats(created.secret) == grpc.StatusCode.OK

        listed = await admin.ListApiKeys(_pb.ListApiKeysRequest(), metadata=as_admin)
        assert {k.key_id for k in listed.api_keys} == {"ci-bot", BOOTSTRAP_KEY_ID}
        wire = listed.SerializeToString()
        assert created.secret.encode() not in wire and ADMIN_KEY.encode() not in wire

        rotated = await admin.RotateApiKey(
            _pb.RotateApiKeyRequest(name="apiKeys/ci-bot"), metadata=as_admin
        )
        assert await chats(created.secret) == grpc.StatusCode.UNAUTHENTICATED
        assert await chats(rotated.secret) == grpc.StatusCode.OK

        revoked = await admin.RevokeApiKey(
            _pb.RevokeApiKeyRequest(name="apiKeys/ci-bot"), metadata=as_admin
        )
        assert revoked.api_key.state == _pb.API_KEY_STATE_REVOKED
        assert await chats(rotated.secret) == grpc.StatusCode.UNAUTHENTICATED

        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await admin.RevokeApiKey(
                _pb.RevokeApiKeyRequest(name="apiKeys/nope"), metadata=as_admin
            )
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND

        audit = await admin.ListAuditEvents(_pb.ListAuditEventsRequest(), metadata=as_admin)
        actions = [(e.action, e.actor) for e in audit.events]
        assert ("CreateApiKey", f"apiKeys/{BOOTSTRAP_KEY_ID}") in actions
        dump = audit.SerializeToString()
        assert created.secret.encode() not in dump and rotated.secret.encode() not in dump


async def test_unknown_secret_and_bad_arguments(store: ApiKeyStore) -> None:
    from llmgw.domain.errors import ApiKeyNotFoundError, InvalidRequestError

    admin = KeyAdmin(store)
    with pytest.raises(InvalidRequestError):
        await admin.create(_create(scopes=["root"]), ROOT)
    with pytest.raises(InvalidRequestError):
        await admin.create(_pb.CreateApiKeyRequest(api_key=_pb.ApiKey(scopes=["chat"])), ROOT)
    with pytest.raises(ApiKeyNotFoundError):
        await admin.rotate(_pb.RotateApiKeyRequest(name="apiKeys/ghost"))
    first = await admin.create(_create(), ROOT)
    request = _create()
    request.key_id = first.api_key.key_id
    with pytest.raises(InvalidRequestError):
        await admin.create(request, ROOT)
    assert new_secret() != new_secret()


async def test_model_allow_list_is_enforced_with_model_access_denied() -> None:
    from google.rpc import error_details_pb2
    from helpers import detail

    as_admin = (("authorization", f"Bearer {ADMIN_KEY}"),)
    async with (
        gateway_at({"auth": {"bootstrap_admin_key": ADMIN_KEY}}) as running,
        grpc.aio.insecure_channel(running.admin_address) as admin_channel,
        grpc.aio.insecure_channel(running.data_address) as data_channel,
    ):
        admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
        created = await admin.CreateApiKey(_create(allowed_models=["demo-chat"]), metadata=as_admin)
        data = gateway_service_pb2_grpc.GatewayServiceStub(data_channel)
        md = (("authorization", f"Bearer {created.secret}"),)
        assert (await data.Chat(chat("demo-chat"), metadata=md)).candidates
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await data.Chat(chat("default"), metadata=md)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        info = detail(denied.value, error_details_pb2.ErrorInfo)
        assert info.reason == "MODEL_ACCESS_DENIED"  # type: ignore[attr-defined]


async def test_store_outage_serves_verified_keys_for_stale_ttl_then_unavailable(
    store: ApiKeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    mono = Clock(0.0)
    auth = Authenticator(store, cache_ttl=5.0, stale_ttl=60.0, clock=mono)
    admin = KeyAdmin(store, auth)
    made = [await admin.create(_create(), ROOT) for _ in range(2)]
    (known, known_id), (fresh, fresh_id) = [(m.secret, m.api_key.key_id) for m in made]
    assert (await auth.authenticate(known)).key_id == known_id
    lookups = 0

    async def down(digest: str) -> object:
        nonlocal lookups
        lookups += 1
        raise ConnectionRefusedError(111, "Connect call failed")

    monkeypatch.setattr(store, "lookup", down)
    mono.at += 10.0  # past cache_ttl: the store is asked, fails, the entry is served stale
    assert (await auth.authenticate(known)).key_id == known_id
    assert lookups == 1
    with pytest.raises(GatewayOverloadedError) as caught:
        await auth.authenticate(fresh)  # never verified here: UNAVAILABLE, not UNAUTHENTICATED
    assert "Connect" not in caught.value.public_message
    assert lookups == 1  # marked down: not asked again within a second
    mono.at += 1.0
    with pytest.raises(GatewayOverloadedError):
        await auth.authenticate(fresh)
    assert lookups == 2  # asked again after the retry interval
    mono.at += 49.0  # 60 s after the last verification: too stale to trust
    with pytest.raises(GatewayOverloadedError):
        await auth.authenticate(known)
    monkeypatch.undo()
    mono.at += 1.0
    assert (await auth.authenticate(fresh)).key_id == fresh_id  # store back
    assert (await auth.authenticate(known)).key_id == known_id


async def test_concurrent_calls_with_a_stale_entry_share_one_lookup(store: ApiKeyStore) -> None:
    import asyncio

    mono = Clock()
    auth = Authenticator(store, cache_ttl=5.0, clock=mono)
    created = await KeyAdmin(store, auth).create(_create(), ROOT)
    await auth.authenticate(created.secret)
    calls = 0
    entered, gate = asyncio.Event(), asyncio.Event()
    lookup = store.lookup

    async def gated(digest: str):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        entered.set()
        await gate.wait()
        return await lookup(digest)

    store.lookup = gated  # type: ignore[method-assign]
    mono.at += 5.0  # the cached entry is stale now
    callers = [asyncio.create_task(auth.authenticate(created.secret)) for _ in range(20)]
    await entered.wait()
    callers[0].cancel()  # the caller that started the lookup goes away: the others still get it
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await callers[0]
    principals = await asyncio.gather(*callers[1:])
    assert calls == 1
    assert {p.subject for p in principals} == {principals[0].subject}
    assert not auth._refreshing
    await auth.authenticate(created.secret)
    assert calls == 1  # fresh again: from the cache
