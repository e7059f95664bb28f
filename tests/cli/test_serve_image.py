"""``llmgw serve`` started as a program serves from a lean process image.

The ``llmgw`` program parses ``serve``'s flags with typer, then replaces its
image with ``python -m llmgw.cli.serve_process OPTIONS`` (``os.execve``): the
PID its starter holds is the serving process, signals and the exit code reach
it as before, and the image gets ``MALLOC_ARENA_MAX=2`` unless the
environment chose a value. Run inside another program (typer's
``CliRunner``), ``serve`` never replaces the host's image.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from llmgw.cli.main import app
from llmgw.cli.serve_process import ServeOptions, main
from processes import start_gateway, wait_ready
from typer.testing import CliRunner

pytestmark = pytest.mark.slow

_CONFIG = {"demo_enabled": True, "probe_interval_seconds": 0}


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


def _environment(pid: int) -> dict[str, str]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
    return dict(entry.split("=", 1) for entry in entries if "=" in entry)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize(("given", "expected"), [(None, "2"), ("8", "8")])
async def test_the_program_serves_from_the_lean_image_under_the_same_pid(
    tmp_path: Path, given: str | None, expected: str
) -> None:
    env = {"MALLOC_ARENA_MAX": given} if given else {}
    gateway = start_gateway(tmp_path, _CONFIG, env=env)
    try:
        await wait_ready(gateway)
        command = _cmdline(gateway.process.pid)  # the PID the starter holds
        assert command[1:3] == ["-m", "llmgw.cli.serve_process"], command
        options = ServeOptions.from_json(command[3])
        assert options.config == str(tmp_path / "config.yaml")
        assert options.listen == gateway.address and options.admin_listen == gateway.admin
        assert options.metrics_listen == gateway.metrics
        assert _environment(gateway.process.pid).get("MALLOC_ARENA_MAX") == expected
    finally:
        code = gateway.terminate()
    assert code == 0, gateway.logs()  # SIGTERM reached the serving image: drained, exit 0


def test_a_config_error_in_the_image_exits_2_naming_the_field(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("backends: [{name: x, kind: no-such-kind}]\n", encoding="utf-8")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "llmgw"), "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error:") and "backends[0].kind" in done.stderr, done.stderr


def test_options_travel_as_json_unchanged() -> None:
    options = ServeOptions(
        config="/etc/llmgw/config.yaml",
        listen="[::]:50051",
        admin_listen="127.0.0.1:50052",
        log_level="debug",
        metrics_listen="",
        insecure_no_auth=True,
        tls={"cert_file": "/tls/chain.pem", "key_file": "/tls/key.pem"},
    )
    assert ServeOptions.from_json(options.to_json()) == options


def test_the_image_entry_wants_exactly_one_argument(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().err


def test_inside_a_host_program_serve_does_not_replace_the_image(tmp_path: Path) -> None:
    """CliRunner is a host program: a taken listen address fails here, in this
    process (had ``serve`` exec'd, the test run itself would be gone)."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        result = CliRunner().invoke(app, ["serve", "--listen", address, "--metrics-listen", ""])
    assert result.exit_code == 2, result.output
    assert address in result.output
