"""Real PostgreSQL for tests and benches: one fresh database per use.

``LLMGW_TEST_POSTGRES_URL`` names the server (CI: PostgreSQL on 127.0.0.1:5432,
trust auth, database ``test``). ``fresh_postgres_database`` creates a database
with a random name there and drops it afterwards, so parallel runs never share
state.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from llmgw.storage.database import Database, open_database
from services import postgres_url

PG_ENV = "LLMGW_TEST_POSTGRES_URL"


@asynccontextmanager
async def fresh_postgres_database(
    server_url: str, prefix: str = "llmgw_test"
) -> AsyncIterator[str]:
    """A new, empty database on ``server_url``'s server; dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path="/" + name))
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def state_database(kind: str, folder: Path) -> AsyncIterator[Database]:
    """An open state database of ``kind``: ``"sqlite"`` (a file in ``folder``)
    or ``"postgres"`` (a fresh database on ``services.postgres()``; skipped
    with the reason when there is no PostgreSQL). For fixtures parametrized over both."""
    async with AsyncExitStack() as stack:
        if kind == "postgres":
            server = postgres_url()  # env, container or embedded server; else skipped
            url = await stack.enter_async_context(fresh_postgres_database(server))
        else:
            url = f"sqlite:///{folder / 'state.sqlite3'}"
        db = await open_database(url)
        stack.push_async_callback(db.close)
        yield db
