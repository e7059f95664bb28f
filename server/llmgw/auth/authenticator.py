"""Credential -> ``Principal``: gateway API keys and JWT bearer tokens.

A credential with two dots is a JWT (when JWT is configured), anything else
is an API key. Failures are one ``UnauthenticatedError`` text whatever the
cause (unknown, revoked, expired, rotated out): the caller learns nothing
about which keys exist. There is no fallback identity: an error never
becomes ``ANONYMOUS``.

Hot path: results are cached in this process by the SHA-256 of the
credential for ``cache_ttl`` seconds (default 5), so after the first call a
key costs one hash and one dict lookup, no database I/O. Keys are only ever
compared as SHA-256 digests (in the dict, in SQL, then once more with
``hmac.compare_digest``), so response timing says nothing about the secret.
Unknown credentials are cached too (bounded), so a flood of garbage keys
cannot turn into a flood of queries.

Propagation: a revoke or rotation on this replica drops the key from this
cache at once (``forget``); other replicas sharing the database stop
accepting the old secret within ``cache_ttl``. Expiry and the end of a
rotation grace period apply at their instant everywhere (checked on every
call against the cached times).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from llmgw.auth.jwt_verifier import JwtVerifier
from llmgw.domain.api_keys import KeyState
from llmgw.domain.errors import UnauthenticatedError
from llmgw.domain.principal import Principal
from llmgw.storage.api_keys import ApiKeyStore, hash_secret

INVALID_CREDENTIAL = "invalid or expired credential"
_MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal | None  # None: the credential is not valid
    key_id: str
    valid_until: float | None  # wall clock; None = until the entry's TTL
    fetched_at: float  # monotonic


class Authenticator:
    """Authenticates credentials against the key store and the JWT verifier."""

    def __init__(
        self,
        store: ApiKeyStore,
        jwt: JwtVerifier | None = None,
        *,
        cache_ttl: float = 5.0,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._jwt = jwt
        self._ttl = cache_ttl
        self._wall = wall
        self._monotonic = monotonic
        self._cache: dict[str, _Entry] = {}

    async def authenticate(self, credential: str) -> Principal:
        """The principal ``credential`` proves, or ``UnauthenticatedError``."""
        if not credential:
            raise UnauthenticatedError("missing credential: send authorization: Bearer <key>")
        digest = hash_secret(credential)
        entry = self._cache.get(digest)
        if entry is None or self._monotonic() - entry.fetched_at >= self._ttl:
            entry = await self._resolve(credential, digest)
            if len(self._cache) >= _MAX_ENTRIES:
                self._cache.clear()
            self._cache[digest] = entry
        if entry.principal is None or (
            entry.valid_until is not None and self._wall() >= entry.valid_until
        ):
            raise UnauthenticatedError(INVALID_CREDENTIAL)
        return entry.principal

    def forget(self, key_id: str) -> None:
        """Drop every cached secret of ``key_id`` (after a local revoke/rotate)."""
        for digest in [d for d, e in self._cache.items() if e.key_id == key_id]:
            self._cache.pop(digest, None)

    async def _resolve(self, credential: str, digest: str) -> _Entry:
        now = self._monotonic()
        if self._jwt is not None and credential.count(".") == 2:
            try:
                verified = self._jwt.verify(credential)
            except UnauthenticatedError:
                return _Entry(None, "", None, now)
            return _Entry(verified.principal, "", verified.expires_at, now)
        match = await self._store.lookup(digest)
        if match is None or not hmac.compare_digest(match.secret_hash, digest):
            return _Entry(None, "", None, now)
        record = match.record
        if record.state_at(self._wall()) is not KeyState.ACTIVE:
            return _Entry(None, record.key_id, None, now)
        limits = [t for t in (record.expire_time, match.not_after) if t is not None]
        return _Entry(record.principal(), record.key_id, min(limits, default=None), now)
