"""The TypeScript package (clients/typescript, protoc-gen-es + Connect) against a
live ``llmgw serve``: the scenarios run with Node's built-in test runner
(dist/test/live.test.js), then the example program (dist/examples/chat.js).

Needs node and ``npm ci`` + ``npm run build`` in clients/typescript
(``.ci/clients.sh`` does both); skipped with the reason otherwise.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from live_gateway import EXPECT_TEXT, SCENARIOS, World, live_world

pytestmark = pytest.mark.slow

PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "typescript"
_TAP_OK = re.compile(r"^\s*ok \d+ - (\S+)\s*$")


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (.ci/clients.sh installs it)"
    if not (PACKAGE / "node_modules" / "@connectrpc" / "connect-node").is_dir():
        return "run `npm ci` in clients/typescript (.ci/clients.sh does)"
    if not (PACKAGE / "dist" / "test" / "live.test.js").is_file():
        return "run `npm run build` in clients/typescript (.ci/clients.sh does)"
    return None


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    reason = _missing()
    if reason:
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    async with live_world(tmp_path / "gateway") as running:
        yield running


async def _node(world: World, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        "node",
        *args,
        cwd=PACKAGE,
        env={**os.environ, **world.env()},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode or 0, output.decode(errors="replace")


async def test_ts_client_scenarios(world: World) -> None:
    code, output = await _node(
        world, "--test", "--test-reporter=tap", "dist/test/live.test.js"
    )
    assert code == 0, output
    passed = {m.group(1) for line in output.splitlines() if (m := _TAP_OK.match(line))}
    assert passed >= SCENARIOS, output
    assert await world.slow_upstream_disconnected(), "the cancelled stream kept the upstream busy"


async def test_ts_example_runs(world: World) -> None:
    code, output = await _node(world, "dist/examples/chat.js")
    assert code == 0, output
    assert f"chat: {EXPECT_TEXT}" in output
    assert f"stream: {EXPECT_TEXT}\nfinal: 4 output tokens" in output
    assert "after cancel: Canceled" in output
    assert "reason MODEL_NOT_FOUND" in output
