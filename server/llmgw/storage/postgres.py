"""The PostgreSQL engine of the SQL port (``storage/database.py``): an asyncpg
pool, ``?`` placeholders numbered ``$1..$n``, and driver connection failures
turned into ``StoreUnavailableError``.

Its own module so that asyncpg is imported only when a PostgreSQL URL is
opened (``open_database``): a gateway on the embedded SQLite default does not
carry the driver in memory.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg

from llmgw.storage.database import Row, StoreUnavailableError

_PLACEHOLDER = re.compile(r"\?")
# OSError covers refused/reset connections and TimeoutError.
_UNREACHABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
)


@contextmanager
def _reachable() -> Iterator[None]:
    """Driver connection failures inside the block -> ``StoreUnavailableError``."""
    try:
        yield
    except _UNREACHABLE as exc:
        raise StoreUnavailableError() from exc


def _numbered(sql: str) -> str:
    """``?`` placeholders -> ``$1..$n`` (our SQL never has a literal ``?``)."""
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


class PostgresDatabase:
    """asyncpg pool; ``transaction()`` holds one connection throughout."""

    dialect = "postgres"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, url: str) -> PostgresDatabase:
        return cls(await asyncpg.create_pool(url, min_size=1, max_size=8))

    async def execute(self, sql: str, *args: Any) -> None:
        with _reachable():
            await self._pool.execute(_numbered(sql), *args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with _reachable():
            await self._pool.executemany(_numbered(sql), list(rows))

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        with _reachable():
            return [tuple(r) for r in await self._pool.fetch(_numbered(sql), *args)]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PostgresTransaction]:
        with _reachable():
            async with self._pool.acquire() as connection, connection.transaction():
                yield _PostgresTransaction(connection)

    async def close(self) -> None:
        await self._pool.close()


class _PostgresTransaction:
    dialect = "postgres"

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, *args: Any) -> None:
        with _reachable():
            await self._connection.execute(_numbered(sql), *args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with _reachable():
            await self._connection.executemany(_numbered(sql), list(rows))

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        with _reachable():
            return [tuple(r) for r in await self._connection.fetch(_numbered(sql), *args)]


__all__ = ["PostgresDatabase"]
