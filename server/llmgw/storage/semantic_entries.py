"""Semantic-cache entries shared by every replica (PostgreSQL).

One row per stored answer: scope, partition (the request's context key), the
embedding (float32 bytes, base64) and the encoded answer, with its expiry.
Replicas append with ``add`` and follow the table with ``since(last_id)``
(an incremental poll on the primary key), so an answer cached by one replica
is searchable on another within one poll interval. Expired rows are swept
by ``sweep``; ``purge`` deletes a scope's rows.
"""

from __future__ import annotations

import base64
from typing import NamedTuple

from llmgw.storage.database import Database, migrate


class SharedEntry(NamedTuple):
    id: int
    scope: str
    partition: str
    vector: bytes  # float32, little-endian
    answer: bytes
    expires_at: float


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS semantic_cache_entries ("
    " id BIGSERIAL PRIMARY KEY, scope TEXT NOT NULL, partition_key TEXT NOT NULL,"
    " vector TEXT NOT NULL, answer TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL)",
    "CREATE INDEX IF NOT EXISTS semantic_cache_entries_scope ON semantic_cache_entries (scope)",
)


class SemanticEntryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    @classmethod
    async def open(cls, db: Database) -> SemanticEntryStore:
        if db.dialect != "postgres":
            raise ValueError("the shared semantic cache needs PostgreSQL")
        await migrate(db, "semantic_cache_entries_v1", _SCHEMA)
        return cls(db)

    async def add(
        self, scope: str, partition: str, vector: bytes, answer: bytes, expires_at: float
    ) -> int:
        rows = await self._db.fetch(
            "INSERT INTO semantic_cache_entries (scope, partition_key, vector, answer, expires_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            scope,
            partition,
            base64.b64encode(vector).decode(),
            answer.decode(),
            expires_at,
        )
        return int(rows[0][0])

    async def since(self, last_id: int, now: float, limit: int = 1000) -> list[SharedEntry]:
        rows = await self._db.fetch(
            "SELECT id, scope, partition_key, vector, answer, expires_at"
            " FROM semantic_cache_entries WHERE id > ? AND expires_at > ? ORDER BY id LIMIT ?",
            last_id,
            now,
            limit,
        )
        return [
            SharedEntry(int(i), s, p, base64.b64decode(v), a.encode(), float(e))
            for i, s, p, v, a, e in rows
        ]

    async def last_id(self) -> int:
        rows = await self._db.fetch("SELECT COALESCE(MAX(id), 0) FROM semantic_cache_entries")
        return int(rows[0][0])

    async def purge(self, scope: str) -> int:
        if scope:
            rows = await self._db.fetch(
                "DELETE FROM semantic_cache_entries WHERE scope = ? RETURNING id", scope
            )
        else:
            rows = await self._db.fetch("DELETE FROM semantic_cache_entries RETURNING id")
        return len(rows)

    async def sweep(self, now: float) -> None:
        await self._db.execute("DELETE FROM semantic_cache_entries WHERE expires_at <= ?", now)


__all__ = ["SemanticEntryStore", "SharedEntry"]
