"""Credential -> ``Principal``: gateway API keys and JWT bearer tokens.

A credential with two dots is a JWT (when JWT is configured), anything else
is an API key. Failures are one ``UnauthenticatedError`` text whatever the
cause (unknown, revoked, expired, rotated out): the caller learns nothing
about which keys exist. There is no fallback identity: an error never
becomes ``ANONYMOUS``.

Hot path: results are cached in this process by the SHA-256 of the
credential for ``cache_ttl`` seconds (default 5), so after the first call a
key costs one hash and one dict lookup, no database I/O; when the entry
expires, concurrent requests with that key share one lookup. Keys are only ever
compared as SHA-256 digests (in the dict, in SQL, then once more with
``hmac.compare_digest``), so response timing says nothing about the secret.
Unknown credentials are cached too (bounded), so a flood of garbage keys
cannot turn into a flood of queries.

Store outage (the key store's database unreachable): credentials already in
the cache keep working while the store is down, for at most ``stale_ttl``
seconds (default 300) after they were last verified (bounded staleness: a
key revoked on another replica during the outage is accepted that long);
credentials not in the cache, or cached longer ago than that, are refused
with ``GatewayOverloadedError`` (``UNAVAILABLE`` + ``RetryInfo``), never
``UNAUTHENTICATED`` (the key may be fine) and never the driver's exception
text. After a failed lookup the store is not asked again for
``_STORE_RETRY_SECONDS``, so an outage does not turn every request into a
connection attempt. A revocation known to this replica is never undone by
the outage (``forget`` drops the entry).

Time: ``clock`` (monotonic, ``domain.clock``) ages cache entries; ``wall``
(epoch seconds) is compared with expiry and rotation instants.

Propagation: a revoke or rotation on this replica drops the key from this
cache at once (``forget``); other replicas sharing the database stop
accepting the old secret within ``cache_ttl``. Expiry and the end of a
rotation grace period apply at their instant everywhere (checked on every
call against the cached times).
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from llmgw.auth.jwt_verifier import JwtVerifier
from llmgw.domain.api_keys import KeyState
from llmgw.domain.clock import Clock, SystemClock
from llmgw.domain.errors import GatewayError, GatewayOverloadedError, UnauthenticatedError
from llmgw.domain.principal import Principal
from llmgw.observability.logging import get_logger
from llmgw.storage.api_keys import ApiKeyStore, hash_secret
from llmgw.storage.database import StoreUnavailableError

INVALID_CREDENTIAL = "invalid or expired credential"
STORE_DOWN = "The credential store is unreachable; retry shortly."
_MAX_ENTRIES = 10_000
_STORE_RETRY_SECONDS = 1.0
_log = get_logger("llmgw.auth")


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
        stale_ttl: float = 300.0,
        wall: Callable[[], float] = time.time,
        clock: Clock | None = None,
    ) -> None:
        self._store = store
        self._jwt = jwt
        self._ttl = cache_ttl
        self._stale_ttl = max(stale_ttl, cache_ttl)
        self._wall = wall
        self._clock: Clock = clock or SystemClock()
        self._cache: dict[str, _Entry] = {}
        self._refreshing: dict[str, asyncio.Future[_Entry]] = {}  # by digest
        self._store_down_until = float("-inf")

    async def authenticate(self, credential: str) -> Principal:
        """The principal ``credential`` proves, or ``UnauthenticatedError``."""
        if not credential:
            raise UnauthenticatedError("missing credential: send authorization: Bearer <key>")
        digest = hash_secret(credential)
        entry = self._cache.get(digest)
        if entry is None or self._clock.now() - entry.fetched_at >= self._ttl:
            entry = await self._shared_refresh(credential, digest, entry)
        if entry.principal is None or (
            entry.valid_until is not None and self._wall() >= entry.valid_until
        ):
            raise UnauthenticatedError(INVALID_CREDENTIAL)
        return entry.principal

    def forget(self, key_id: str) -> None:
        """Drop every cached secret of ``key_id`` (after a local revoke/rotate)."""
        for digest in [d for d, e in self._cache.items() if e.key_id == key_id]:
            self._cache.pop(digest, None)

    async def _shared_refresh(
        self, credential: str, digest: str, cached: _Entry | None
    ) -> _Entry:
        """``_refresh``, one per credential at a time: the calls that find the
        entry stale while a lookup is under way wait for that lookup (when a
        busy key's entry expires, every request in flight would otherwise
        query the store). Shielded: a cancelled caller does not cancel it for
        the others."""
        pending = self._refreshing.get(digest)
        if pending is None:
            pending = asyncio.ensure_future(self._refresh(credential, digest, cached))
            self._refreshing[digest] = pending
            pending.add_done_callback(lambda done: self._refreshed(digest, done))
        return await asyncio.shield(pending)

    def _refreshed(self, digest: str, done: asyncio.Future[_Entry]) -> None:
        if self._refreshing.get(digest) is done:
            del self._refreshing[digest]

    async def _refresh(self, credential: str, digest: str, cached: _Entry | None) -> _Entry:
        """A fresh entry from the store, or the stale one while the store is down."""
        now = self._clock.now()
        if now < self._store_down_until:  # failed moments ago: do not ask again yet
            return self._stale_or_unavailable(cached, now)
        try:
            entry = await self._resolve(credential, digest)
        except GatewayError as exc:
            if not isinstance(exc, StoreUnavailableError):
                raise
            _log.warning("key_store_unavailable", error=type(exc.__cause__ or exc).__name__)
            self._store_down_until = now + _STORE_RETRY_SECONDS
            return self._stale_or_unavailable(cached, now)
        except Exception as exc:  # the store (driver, pool, network) failed: not the caller
            _log.warning("key_store_unavailable", error=type(exc).__name__)
            self._store_down_until = now + _STORE_RETRY_SECONDS
            return self._stale_or_unavailable(cached, now)
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache.clear()
        self._cache[digest] = entry
        return entry

    def _stale_or_unavailable(self, cached: _Entry | None, now: float) -> _Entry:
        if cached is not None and now - cached.fetched_at < self._stale_ttl:
            return cached
        raise GatewayOverloadedError(STORE_DOWN, retry_after=_STORE_RETRY_SECONDS)

    async def _resolve(self, credential: str, digest: str) -> _Entry:
        now = self._clock.now()
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


__all__ = ["INVALID_CREDENTIAL", "STORE_DOWN", "Authenticator"]
