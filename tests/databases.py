"""Real PostgreSQL for tests and benches: one fresh database per use.

``LLMGW_TEST_POSTGRES_URL`` names the server (CI: PostgreSQL on 127.0.0.1:5432,
trust auth, database ``test``). ``fresh_postgres_database`` creates a database
with a random name there and drops it afterwards, so parallel runs never share
state.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg

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
