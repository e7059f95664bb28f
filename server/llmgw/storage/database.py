"""One small async SQL port over SQLite (embedded default) and PostgreSQL.

Stores (ledger, budgets, API keys, audit) write their SQL once, with ``?``
placeholders and the subset both engines share (``INSERT ... ON CONFLICT DO
NOTHING``, ``RETURNING``, ``BIGINT``/``TEXT``/``DOUBLE PRECISION``);
``storage/postgres.py`` turns ``?`` into ``$1..$n`` for asyncpg (imported only
when a PostgreSQL URL is opened). Migrations are named, ordered SQL statements
applied once each, recorded in ``schema_migrations``.

A shared database that cannot be reached (connection refused or reset, a
dropped connection, a timeout) raises ``StoreUnavailableError``: a domain
``GatewayOverloadedError`` (callers get ``UNAVAILABLE`` + ``RetryInfo``
through the status table, never the driver's text) that is still a
``ConnectionError`` for code that retries on those. The driver's exception
is its ``__cause__`` (for the logs).

SQLite runs in WAL mode with ``synchronous=NORMAL``: a committed transaction
survives a process crash (``kill -9``); only a power loss may drop the last
commits. One connection, serialised by a lock (SQLite has one writer anyway).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from llmgw.domain.errors import GatewayOverloadedError

Row = tuple[Any, ...]
_RETRY_SECONDS = 1.0


class StoreUnavailableError(GatewayOverloadedError, ConnectionError):
    """The shared state database cannot be reached (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__("The state database is unreachable; retry shortly.", _RETRY_SECONDS)


class Database(Protocol):
    """What stores use. ``transaction()`` yields a handle whose statements run
    in one transaction (committed on exit, rolled back on error)."""

    dialect: str  # "sqlite" or "postgres"

    async def execute(self, sql: str, *args: Any) -> None: ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...

    def transaction(self) -> Any: ...

    async def close(self) -> None: ...


async def open_database(url: str) -> Database:
    """``postgresql://...`` (asyncpg pool) or ``sqlite:///path`` / a plain path."""
    if url.startswith(("postgres://", "postgresql://")):
        # Imported here: asyncpg (~3 MiB) loads only with a PostgreSQL URL.
        from llmgw.storage.postgres import PostgresDatabase

        return await PostgresDatabase.open(url)
    path = url.removeprefix("sqlite:///").removeprefix("sqlite://")
    return await SqliteDatabase.open(path)


_MIGRATION_LOCK = 0x6C6C6D67  # "llmg": PostgreSQL advisory lock key for migrations


async def migrate(db: Database, name: str, statements: Sequence[str]) -> None:
    """Apply ``statements`` (one migration called ``name``) unless applied.

    Replicas starting together migrate one at a time: on PostgreSQL a
    transaction-scoped advisory lock serialises them (concurrent ``CREATE TABLE
    IF NOT EXISTS`` is not safe there); SQLite's ``BEGIN IMMEDIATE`` already is.
    """
    async with db.transaction() as tx:
        if db.dialect == "postgres":
            await tx.fetch("SELECT pg_advisory_xact_lock(?)", _MIGRATION_LOCK)
        await tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        done = await tx.fetch("SELECT 1 FROM schema_migrations WHERE name = ?", name)
        if done:
            return
        for statement in statements:
            await tx.execute(statement)
        await tx.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES (?, CURRENT_TIMESTAMP)"
            " ON CONFLICT DO NOTHING",
            name,
        )


class SqliteDatabase:
    """aiosqlite behind a lock; ``transaction()`` holds the lock throughout."""

    dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> SqliteDatabase:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA synchronous=NORMAL")
        await connection.execute("PRAGMA busy_timeout=5000")
        return cls(connection)

    async def execute(self, sql: str, *args: Any) -> None:
        async with self._lock:
            await self._connection.execute(sql, args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        async with self._lock:
            return await _sqlite_fetch(self._connection, sql, args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_SqliteTransaction]:
        async with self._lock:
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTransaction(self._connection)
            except BaseException:
                await self._connection.execute("ROLLBACK")
                raise
            await self._connection.execute("COMMIT")

    async def close(self) -> None:
        async with self._lock:
            await self._connection.close()


class _SqliteTransaction:
    dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, *args: Any) -> None:
        await self._connection.execute(sql, args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._connection.executemany(sql, rows)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return await _sqlite_fetch(self._connection, sql, args)


async def _sqlite_fetch(
    connection: aiosqlite.Connection, sql: str, args: Sequence[Any]
) -> list[Row]:
    async with connection.execute(sql, args) as cursor:
        return [tuple(r) for r in await cursor.fetchall()]


__all__ = [
    "Database",
    "Row",
    "SqliteDatabase",
    "StoreUnavailableError",
    "migrate",
    "open_database",
]
