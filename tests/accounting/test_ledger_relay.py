"""RelayedLedger against a real PostgreSQL: relay, outage, replay, kill -9.

"Nothing lost" as a contract: every recorded row ends in PostgreSQL exactly
once, whether PostgreSQL was down at start or during a flush, the relay died
between the PostgreSQL commit and the outbox delete, or the process was
SIGKILLed right after ``record`` returned. Outages are simulated with a TCP
proxy (``tcp_proxy.py``) in front of the real server. Nothing sleeps to wait:
conditions are polled with a deadline.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import test_ledger
from llmgw.accounting.ledger import relay as ledger_relay
from llmgw.accounting.ledger.port import CostQuery
from llmgw.accounting.ledger.relay import LedgerUnavailableError, RelayedLedger
from llmgw.domain.ledger import LedgerRow
from llmgw.storage.database import Database
from tcp_proxy import TcpProxy
from test_ledger import make_row, open_sqlite

# The PostgreSQL fixtures (a fresh database per test) are test_ledger's.
postgres_server_url = test_ledger.postgres_server_url
postgres_url = test_ledger.postgres_url

BASE = 1_717_243_200.0  # 2024-06-01T12:00Z
EVERYTHING = CostQuery(start=BASE - 86400, end=BASE + 86400)
PASSWORD = "s3cret-never-logged"


async def eventually(
    condition: Callable[[], Awaitable[bool]], what: str, within: float = 30.0
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def rows(prefix: str, count: int) -> list[LedgerRow]:
    return [
        make_row(f"{prefix}-{i}", created_at=BASE + i, cost_nanos=10**9 + i, charged_nanos=i)
        for i in range(count)
    ]


async def assert_in_store_once(ledger: RelayedLedger, expected: list[LedgerRow]) -> None:
    total = (await ledger.report(EVERYTHING)).total
    assert total.attempts == len(expected)
    assert total.cost_nanos == sum(r.cost_nanos for r in expected)
    for r in expected[:: max(1, len(expected) // 10)]:
        assert await ledger.attempts(r.request_id) == [r]


def via(url: str, port: int, password: str | None = None) -> str:
    """``url`` pointing at 127.0.0.1:``port`` (optionally with a password)."""
    parts = urlsplit(url)
    user = parts.username or "postgres"
    auth = f"{user}:{password}" if password else user
    return urlunsplit(parts._replace(netloc=f"{auth}@127.0.0.1:{port}"))


@pytest.fixture
async def outbox(tmp_path: Path) -> AsyncIterator[Database]:
    db = await open_sqlite(tmp_path / "outbox.sqlite3")
    yield db
    await db.close()


@pytest.fixture
async def proxy(postgres_url: str) -> AsyncIterator[TcpProxy]:
    parts = urlsplit(postgres_url)
    p = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await p.start()
    yield p
    await p.stop()


class Recorder:
    """Stands in for the module's structlog logger."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def __getattr__(self, level: str) -> Callable[..., None]:
        def log(event: str, **fields: Any) -> None:
            self.events.append((level, event, fields))

        return log


async def test_rows_relayed_and_outbox_emptied(outbox: Database, postgres_url: str) -> None:
    ledger = RelayedLedger(outbox, postgres_url, batch_size=7, interval=0.01)
    await ledger.start()
    try:
        first = rows("bg", 40)
        await asyncio.gather(*(ledger.record(r) for r in first))
        # The background relay alone empties the outbox, in batches of 7.
        await eventually(lambda: _is(ledger.pending(), 0), "background relay")
        second = rows("fl", 25)
        for r in second:
            await ledger.record(r)
        await ledger.flush()
        assert await ledger.pending() == 0
        assert ledger.last_error == ""
        await assert_in_store_once(ledger, first + second)
    finally:
        await ledger.close()


async def test_close_drains_outbox(outbox: Database, postgres_url: str) -> None:
    ledger = RelayedLedger(outbox, postgres_url, interval=3600)  # relay only on close
    await ledger.start()
    written = rows("close", 30)
    await asyncio.gather(*(ledger.record(r) for r in written))
    await ledger.close()
    again = RelayedLedger(outbox, postgres_url, interval=3600)
    await again.start()
    try:
        assert await again.pending() == 0
        await assert_in_store_once(again, written)
    finally:
        await again.close()


async def test_postgres_down_during_flush_nothing_lost(
    outbox: Database, proxy: TcpProxy, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    monkeypatch.setattr(ledger_relay, "log", recorder)
    url = via(postgres_url, proxy.port, PASSWORD)  # trust auth: the password is ignored
    ledger = RelayedLedger(outbox, url, interval=0.01, max_backoff=0.2, io_timeout=5)
    await ledger.start()
    try:
        before = rows("before", 20)
        for r in before:
            await ledger.record(r)
        await ledger.flush()

        await proxy.stop()  # PostgreSQL "goes down", open connections are cut
        during = rows("during", 30)
        await asyncio.gather(*(ledger.record(r) for r in during))  # writes still succeed
        with pytest.raises(LedgerUnavailableError):
            await ledger.flush()
        assert await ledger.pending() == 30
        assert ledger.last_error
        # The background relay keeps retrying (with backoff) meanwhile.
        await eventually(lambda: _true(ledger.consecutive_failures >= 3), "relay retries")
        assert await ledger.pending() == 30

        await proxy.start()  # back: the relay catches up without being asked
        await eventually(lambda: _is(ledger.pending(), 0), "catch-up after the outage")
        assert ledger.last_error == "" and ledger.consecutive_failures == 0
        await assert_in_store_once(ledger, before + during)
    finally:
        await ledger.close()

    warnings = [e for e in recorder.events if e[0] == "warning"]
    assert len(warnings) == 1, warnings  # one per outage, not one per retry
    assert [e[1] for e in recorder.events if e[0] == "info"] == ["ledger relay recovered"]
    assert PASSWORD not in repr(recorder.events)
    assert PASSWORD not in ledger.last_error


async def test_postgres_down_at_start(outbox: Database, proxy: TcpProxy, postgres_url: str) -> None:
    await proxy.stop()
    ledger = RelayedLedger(outbox, via(postgres_url, proxy.port), interval=0.01, max_backoff=0.2)
    await ledger.start()  # does not wait for PostgreSQL
    try:
        written = rows("cold", 15)
        for r in written:
            await ledger.record(r)
        with pytest.raises(LedgerUnavailableError):
            await ledger.report(EVERYTHING)
        await eventually(lambda: _true(ledger.consecutive_failures >= 2), "relay retries")
        await proxy.start()
        await eventually(lambda: _is(ledger.pending(), 0), "relay after PostgreSQL came up")
        await assert_in_store_once(ledger, written)  # migrations were applied in the background
    finally:
        await ledger.close()


async def test_close_with_postgres_down_is_bounded_and_keeps_rows(
    outbox: Database, proxy: TcpProxy, postgres_url: str
) -> None:
    await proxy.stop()
    ledger = RelayedLedger(outbox, via(postgres_url, proxy.port), interval=0.01, close_timeout=1)
    await ledger.start()
    written = rows("kept", 10)
    for r in written:
        await ledger.record(r)
    await asyncio.wait_for(ledger.close(), 10)
    assert await ledger.pending() == 10  # still there for the next start


async def test_crash_between_commit_and_delete_does_not_double_count(
    outbox: Database, postgres_url: str
) -> None:
    class Died(Exception):
        pass

    async def die(_ids: list[str]) -> None:
        raise Died("process died before deleting from the outbox")

    first = RelayedLedger(outbox, postgres_url, batch_size=16, interval=3600)
    await first.start()
    written = rows("replay", 40)
    await asyncio.gather(*(first.record(r) for r in written))
    first._forget = die  # type: ignore[method-assign]
    with pytest.raises(LedgerUnavailableError):
        await first.flush()
    assert await first.pending() == 40  # first batch committed in PostgreSQL, not deleted
    committed = (await first.report(EVERYTHING)).total.attempts
    assert committed == 16
    await first.close()

    second = RelayedLedger(outbox, postgres_url, batch_size=16, interval=3600)
    await second.start()
    try:
        more = rows("after", 5)
        for r in more:
            await second.record(r)
        await second.flush()  # relays the 16 again (dropped by ON CONFLICT) and the rest
        assert await second.pending() == 0
        await assert_in_store_once(second, written + more)
    finally:
        await second.close()


CHILD = """
import asyncio, sys
from llmgw.storage.database import open_database
from llmgw.accounting.ledger.relay import RelayedLedger
from llmgw.domain.ledger import AttemptStatus, LedgerRow

async def main():
    outbox = await open_database(sys.argv[1])
    ledger = RelayedLedger(outbox, sys.argv[2], interval=0.01)
    await ledger.start()
    rows = [
        LedgerRow(attempt_id=f"kill-{i}", request_id=f"kill-{i}", created_at=1717243200.0 + i,
                  tenant="acme", project="p", end_user="u", alias="a", backend="b", model="m",
                  status=AttemptStatus.OK, cost_nanos=10**9 + i, charged_nanos=i)
        for i in range(int(sys.argv[3]))
    ]
    await asyncio.gather(*(ledger.record(r) for r in rows))
    print("RECORDED", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.mark.slow
async def test_rows_of_a_sigkilled_process_are_relayed_on_next_start(
    tmp_path: Path, postgres_url: str
) -> None:
    count = 50
    outbox_path = tmp_path / "killed-outbox.sqlite3"
    with socket.socket() as s:  # a port nobody listens on: PostgreSQL "down" for the child
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    command = [
        sys.executable,
        "-c",
        CHILD,
        f"sqlite:///{outbox_path}",
        via(postgres_url, dead_port),
        str(count),
    ]
    # A plain Popen (asyncio's child watcher can lose a SIGKILLed child's status).
    child = await asyncio.to_thread(
        subprocess.Popen, command, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        async with asyncio.timeout(60):
            while (line := await asyncio.to_thread(child.stdout.readline)) != b"RECORDED\n":
                if not line:
                    stderr = child.stderr.read() if child.stderr else b""
                    raise AssertionError(f"child exited early: {stderr.decode()}")
        os.kill(child.pid, signal.SIGKILL)  # no close(), no flush, no atexit
    finally:
        if child.poll() is None:
            child.kill()
        await asyncio.to_thread(child.wait, 30)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert child.returncode == -signal.SIGKILL

    outbox = await open_sqlite(outbox_path)
    ledger = RelayedLedger(outbox, postgres_url, interval=0.01)
    try:
        assert await ledger.pending() == count  # committed by the child, never relayed
        await ledger.start()  # recovery: relays what the dead process left
        await eventually(lambda: _is(ledger.pending(), 0), "recovery relay")
        total = (await ledger.report(EVERYTHING)).total
        assert total.attempts == count
        assert total.cost_nanos == sum(10**9 + i for i in range(count))
        assert total.charged_nanos == sum(range(count))
    finally:
        await ledger.close()
        await outbox.close()


async def _is(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def _true(value: bool) -> bool:
    return value
