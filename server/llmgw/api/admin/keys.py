"""``AdminService`` key RPCs: CreateApiKey, ListApiKeys, RotateApiKey, RevokeApiKey.

Proto <-> ``ApiKeyRecord`` and validation; storage is ``ApiKeyStore``. The
secret is generated here, returned once in the Create/Rotate response and
never again: ``ApiKey`` messages carry only ``secret_prefix``. A caller may
only grant scopes it holds itself (no privilege escalation by minting keys,
LiteLLM GHSA-qrc4-49gv-mv9m). After a rotation or revocation this replica's
authentication cache forgets the key at once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace

from google.protobuf import timestamp_pb2
from llmgateway.v1 import admin_service_pb2

from llmgw.api.checks import duration_seconds, timestamp_seconds
from llmgw.api.page_tokens import decode_offset, encode_offset
from llmgw.auth.authenticator import Authenticator
from llmgw.domain.api_keys import KEY_ID_PATTERN, ApiKeyRecord, KeyState
from llmgw.domain.errors import FieldViolation, InvalidRequestError, PermissionDeniedError
from llmgw.domain.ids import new_id
from llmgw.domain.principal import Principal, Scope
from llmgw.storage.api_keys import ApiKeyStore, hash_secret, new_secret, visible_prefix

_pb = admin_service_pb2
_KEY_ID = re.compile(KEY_ID_PATTERN)
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_DEFAULT_PAGE = 50
_MAX_PAGE = 1000
_MAX_GRACE_SECONDS = 30 * 86_400
_STATES = {
    KeyState.ACTIVE: _pb.API_KEY_STATE_ACTIVE,
    KeyState.REVOKED: _pb.API_KEY_STATE_REVOKED,
    KeyState.EXPIRED: _pb.API_KEY_STATE_EXPIRED,
}


class KeyAdmin:
    """The four key RPCs over a store (``wall`` is injectable for expiry tests)."""

    def __init__(
        self,
        store: ApiKeyStore,
        authenticator: Authenticator | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._authenticator = authenticator
        self._wall = wall

    async def create(
        self, request: admin_service_pb2.CreateApiKeyRequest, caller: Principal
    ) -> admin_service_pb2.CreateApiKeyResponse:
        now = self._wall()
        record = _validated(request, now, caller)
        secret = new_secret()
        record = await self._store.create(
            replace(record, secret_prefix=visible_prefix(secret)),
            hash_secret(secret),
        )
        return _pb.CreateApiKeyResponse(api_key=to_proto(record, now), secret=secret)

    async def list(
        self, request: admin_service_pb2.ListApiKeysRequest
    ) -> admin_service_pb2.ListApiKeysResponse:
        size = request.page_size or _DEFAULT_PAGE
        offset = decode_offset(request.page_token)
        if not 0 < size <= _MAX_PAGE:
            raise _invalid("page_size", f"must be between 1 and {_MAX_PAGE}")
        now = self._wall()
        records = await self._store.list(
            tenant=request.tenant,
            include_inactive=request.show_inactive,
            now=now,
            offset=offset,
            limit=size + 1,
        )
        more = len(records) > size
        return _pb.ListApiKeysResponse(
            api_keys=[to_proto(r, now) for r in records[:size]],
            next_page_token=encode_offset(offset + size) if more else "",
            authentication_disabled=self._authenticator is None,
        )

    async def rotate(
        self, request: admin_service_pb2.RotateApiKeyRequest
    ) -> admin_service_pb2.RotateApiKeyResponse:
        key_id = _key_id(request.name)
        grace = duration_seconds(request.grace_period, "grace_period", _MAX_GRACE_SECONDS)
        now = self._wall()
        secret = new_secret()
        record = await self._store.rotate(
            key_id, hash_secret(secret), visible_prefix(secret), now=now, grace=grace
        )
        self._forget(key_id)
        return _pb.RotateApiKeyResponse(api_key=to_proto(record, now), secret=secret)

    async def revoke(
        self, request: admin_service_pb2.RevokeApiKeyRequest
    ) -> admin_service_pb2.RevokeApiKeyResponse:
        key_id = _key_id(request.name)
        now = self._wall()
        record = await self._store.revoke(key_id, now=now)
        self._forget(key_id)
        return _pb.RevokeApiKeyResponse(api_key=to_proto(record, now))

    def _forget(self, key_id: str) -> None:
        if self._authenticator is not None:
            self._authenticator.forget(key_id)


def to_proto(record: ApiKeyRecord, now: float) -> admin_service_pb2.ApiKey:
    """The admin view of a key: everything but the secret (only its prefix)."""
    key = _pb.ApiKey(
        name=f"apiKeys/{record.key_id}",
        key_id=record.key_id,
        display_name=record.display_name,
        tenant=record.tenant,
        project=f"projects/{record.project}" if record.project else "",
        allowed_projects=[f"projects/{p}" for p in sorted(record.projects)],
        end_user_id=record.end_user,
        scopes=sorted(record.scopes),
        allowed_models=sorted(record.models),
        requests_per_minute=record.rpm,
        input_tokens_per_minute=record.input_tpm,
        output_tokens_per_minute=record.output_tpm,
        state=_STATES[record.state_at(now)],
        secret_prefix=record.secret_prefix,
    )
    for field, value in (
        ("expire_time", record.expire_time),
        ("create_time", record.create_time),
        ("revoke_time", record.revoke_time),
        ("rotate_time", record.rotate_time),
    ):
        if value is not None:
            getattr(key, field).CopyFrom(_timestamp(value))
    return key


def _violations(
    key_id: str, key: admin_service_pb2.ApiKey, expire: float | None, now: float
) -> list[FieldViolation]:
    """Every bad field of a key to create (reported together)."""
    violations: list[FieldViolation] = []
    if not _KEY_ID.match(key_id):
        violations.append(FieldViolation("key_id", "must match [a-z0-9][a-z0-9-]{0,62}"))
    if not _NAME.match(key.tenant):
        violations.append(FieldViolation("api_key.tenant", "required, [A-Za-z0-9_.:-]{1,128}"))
    unknown = [s for s in key.scopes if s not in Scope._value2member_map_]
    if unknown or not key.scopes:
        violations.append(
            FieldViolation("api_key.scopes", f"one or more of {', '.join(sorted(Scope))}")
        )
    for field in ("requests_per_minute", "input_tokens_per_minute", "output_tokens_per_minute"):
        if getattr(key, field) < 0:
            violations.append(FieldViolation(f"api_key.{field}", "must be >= 0"))
    if expire is not None and expire <= now:
        violations.append(FieldViolation("api_key.expire_time", "must be in the future"))
    return violations


def _validated(
    request: admin_service_pb2.CreateApiKeyRequest, now: float, caller: Principal
) -> ApiKeyRecord:
    key = request.api_key
    key_id = request.key_id or new_id()[:20]
    has_expiry = key.HasField("expire_time")
    expire = timestamp_seconds(key.expire_time, "api_key.expire_time") if has_expiry else None
    violations = _violations(key_id, key, expire, now)
    if violations:
        raise InvalidRequestError(tuple(violations))
    scopes = frozenset(Scope(s) for s in key.scopes)
    if not scopes <= caller.scopes:
        extra = ", ".join(sorted(scopes - caller.scopes))
        raise PermissionDeniedError(
            f"a key may only be granted scopes its creator holds (not {extra})",
            {"scope": extra},
        )
    return ApiKeyRecord(
        key_id=key_id,
        tenant=key.tenant,
        display_name=key.display_name,
        project=key.project.removeprefix("projects/"),
        projects=frozenset(p.removeprefix("projects/") for p in key.allowed_projects),
        end_user=key.end_user_id,
        scopes=scopes,
        models=frozenset(key.allowed_models),
        rpm=key.requests_per_minute,
        input_tpm=key.input_tokens_per_minute,
        output_tpm=key.output_tokens_per_minute,
        expire_time=expire,
        create_time=now,
    )


def _key_id(name: str) -> str:
    key_id = name.removeprefix("apiKeys/")
    if not _KEY_ID.match(key_id):
        raise _invalid("name", "must be apiKeys/{key_id}")
    return key_id


def _invalid(field: str, description: str) -> InvalidRequestError:
    return InvalidRequestError((FieldViolation(field, description),))


def _timestamp(seconds: float) -> timestamp_pb2.Timestamp:
    whole = int(seconds)
    return timestamp_pb2.Timestamp(seconds=whole, nanos=int((seconds - whole) * 1e9))


__all__ = [
    "KeyAdmin",
]
