"""Idempotency records (AIP-155 request ids) in the state database.

One row per (scope, request id): who runs it (``token``), the request body's
fingerprint, and, once it succeeded, the stored answer. The protocol every
store (this one, ``idempotency_redis``) follows:

==========================  ==================================================
call                        effect
==========================  ==================================================
``claim(...)``              no live record: insert one as *running* under the
                            caller's token for ``lease`` seconds -> CLAIMED;
                            else the record as it is -> RUNNING or DONE
``complete(token, answer)`` the claimer's record becomes DONE for ``ttl``
                            seconds (the dedupe window)
``release(token)``          the claimer's record is deleted (the call failed
                            or was cut: the id is not poisoned)
``peek()``                  the live record, or ``None``
==========================  ==================================================

A record past its ``expires_at`` is dead: a claim replaces it (a crashed
replica's running lease ends, a window ends). Two replicas claiming at once:
``INSERT ... ON CONFLICT DO NOTHING`` lets exactly one in; the other reads
the winner's record. Dead rows are also swept every ``sweep_every`` claims.
"""

from __future__ import annotations

import enum
from typing import NamedTuple, Protocol

from llmgw.storage.database import Database, migrate


class ClaimState(enum.Enum):
    CLAIMED = "claimed"  # the caller runs the request
    RUNNING = "running"  # another call runs it
    DONE = "done"  # finished: ``answer`` is the stored outcome


class Claim(NamedTuple):
    state: ClaimState
    fingerprint: str
    answer: bytes | None = None


class IdempotencyStore(Protocol):
    async def claim(
        self, scope: str, request_id: str, fingerprint: str, token: str, lease: float
    ) -> Claim: ...

    async def peek(self, scope: str, request_id: str) -> Claim | None: ...

    async def complete(
        self, scope: str, request_id: str, token: str, answer: bytes, ttl: float
    ) -> None: ...

    async def release(self, scope: str, request_id: str, token: str) -> None: ...


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS idempotency_records ("
    " scope TEXT NOT NULL, request_id TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    " token TEXT NOT NULL, state TEXT NOT NULL, answer TEXT,"
    " expires_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (scope, request_id))",
    "CREATE INDEX IF NOT EXISTS idempotency_records_expiry ON idempotency_records (expires_at)",
)


class SqlIdempotencyStore:
    """The records in SQLite (embedded default) or PostgreSQL (shared)."""

    def __init__(self, db: Database, clock: _WallClock, sweep_every: int = 1000) -> None:
        self._db = db
        self._clock = clock
        self._sweep_every = sweep_every
        self._claims = 0

    @classmethod
    async def open(cls, db: Database, clock: _WallClock) -> SqlIdempotencyStore:
        await migrate(db, "idempotency_records_v1", _SCHEMA)
        return cls(db, clock)

    async def claim(
        self, scope: str, request_id: str, fingerprint: str, token: str, lease: float
    ) -> Claim:
        self._claims += 1
        if self._claims % self._sweep_every == 0:
            await self._db.execute(
                "DELETE FROM idempotency_records WHERE expires_at < ?", self._clock()
            )
        for _attempt in range(3):  # the record may vanish between insert and read
            now = self._clock()
            await self._db.execute(
                "DELETE FROM idempotency_records"
                " WHERE scope = ? AND request_id = ? AND expires_at < ?",
                scope,
                request_id,
                now,
            )
            inserted = await self._db.fetch(
                "INSERT INTO idempotency_records"
                " (scope, request_id, fingerprint, token, state, expires_at)"
                " VALUES (?, ?, ?, ?, 'running', ?) ON CONFLICT DO NOTHING RETURNING token",
                scope,
                request_id,
                fingerprint,
                token,
                now + lease,
            )
            if inserted:
                return Claim(ClaimState.CLAIMED, fingerprint)
            found = await self.peek(scope, request_id)
            if found is not None:
                return found
        return Claim(ClaimState.RUNNING, fingerprint)  # churning: the caller looks again

    async def peek(self, scope: str, request_id: str) -> Claim | None:
        rows = await self._db.fetch(
            "SELECT state, fingerprint, answer FROM idempotency_records"
            " WHERE scope = ? AND request_id = ? AND expires_at >= ?",
            scope,
            request_id,
            self._clock(),
        )
        if not rows:
            return None
        state, fingerprint, answer = rows[0]
        if state == "done":
            return Claim(ClaimState.DONE, fingerprint, answer.encode())
        return Claim(ClaimState.RUNNING, fingerprint)

    async def complete(
        self, scope: str, request_id: str, token: str, answer: bytes, ttl: float
    ) -> None:
        await self._db.execute(
            "UPDATE idempotency_records SET state = 'done', answer = ?, expires_at = ?"
            " WHERE scope = ? AND request_id = ? AND token = ?",
            answer.decode(),
            self._clock() + ttl,
            scope,
            request_id,
            token,
        )

    async def release(self, scope: str, request_id: str, token: str) -> None:
        await self._db.execute(
            "DELETE FROM idempotency_records WHERE scope = ? AND request_id = ? AND token = ?",
            scope,
            request_id,
            token,
        )


class _WallClock(Protocol):
    def __call__(self) -> float: ...


__all__ = ["Claim", "ClaimState", "IdempotencyStore", "SqlIdempotencyStore"]
