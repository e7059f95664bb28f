"""The generated Go stubs (clients/go) against a live ``llmgw serve``.

Builds the example (clients/go/examples/chat) and the scenario program
(tests/clients/go_check) in GOPATH mode against Debian's golang-google-grpc-dev,
golang-google-genproto-dev and golang-github-golang-protobuf-1-5-dev (no Go
module proxy is reachable); ``.ci/clients.sh`` installs them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from live_gateway import EXPECT_TEXT, SCENARIOS, World, live_world, passed

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MODULE = "github.com/llmgw/llmgw"
DEBIAN_GOPATH = Path("/usr/share/gocode")


def _toolchain_missing() -> str | None:
    if shutil.which("go") is None:
        return "go is not installed (apt-get install golang-go; .ci/clients.sh does)"
    for package in (
        "google.golang.org/grpc",
        "google.golang.org/genproto",
        "github.com/golang/protobuf",
    ):
        if not (DEBIAN_GOPATH / "src" / package).is_dir():
            return f"{package} is missing under {DEBIAN_GOPATH} (see .ci/clients.sh)"
    return None


@pytest.fixture(scope="module")
def go_binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    reason = _toolchain_missing()
    if reason:
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("go")
    repo = folder / "gopath" / "src" / MODULE
    repo.mkdir(parents=True)
    (repo / "clients").symlink_to(ROOT / "clients")
    (repo / "tests").symlink_to(ROOT / "tests")
    env = {
        **os.environ,
        "GOPATH": f"{folder / 'gopath'}:{DEBIAN_GOPATH}",
        "GO111MODULE": "off",
        "GOFLAGS": "",
        "GOPROXY": "off",
    }
    built = {}
    for name, package in (
        ("example", f"{MODULE}/clients/go/examples/chat"),
        ("check", f"{MODULE}/tests/clients/go_check"),
    ):
        out = folder / name
        result = subprocess.run(
            ["go", "build", "-o", str(out), package],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        built[name] = out
    return built


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with live_world(tmp_path / "gateway") as running:
        yield running


async def _run(binary: Path, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(binary),
        env={**os.environ, **env},
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


async def test_go_client_scenarios(go_binaries: dict[str, Path], world: World) -> None:
    code, output = await _run(go_binaries["check"], world.env())
    assert code == 0, output
    assert passed(output) == SCENARIOS, output
    assert await world.slow_upstream_disconnected(), "the cancelled stream kept the upstream busy"


async def test_go_example_runs(go_binaries: dict[str, Path], world: World) -> None:
    code, output = await _run(go_binaries["example"], world.env())
    assert code == 0, output
    assert f"chat: {EXPECT_TEXT}" in output
    assert f"{EXPECT_TEXT}\nfinal: 4 output tokens" in output
    assert "after cancel: Canceled" in output
    assert "reason MODEL_NOT_FOUND" in output
