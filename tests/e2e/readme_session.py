"""Runs README commands (``readme_commands.Command``) as a reader would, on
this machine: real ``llmgw serve`` processes, fake upstreams, the installed
``llmgw`` and ``grpcurl``.

* The default gateway is the README's first ``llmgw serve`` (Set-up); a
  block that starts its own (``llmgw serve ... &``) runs its later commands
  against that one; ``# needs: vllm`` / ``env NAME`` start the default
  command with that environment added. One process per distinct gateway,
  shared by every command that needs it, all started at once.
* Addresses are rewritten to free loopback ports: ``localhost:50051``,
  ``127.0.0.1:50051``, ``[::]:50051`` (and ``:50052``) become the gateway's;
  a ``serve`` without ``--listen``/``--admin-listen`` gets them added; CLI
  commands without ``--address``/``--admin`` reach it through
  ``LLMGW_ADDRESS``/``LLMGW_ADMIN_ADDRESS`` (their documented variables).
* ``upstream URL`` and ``vllm`` are fake OpenAI-compatible servers
  (``python -m upstream_fakes``, vLLM's ``/health`` included); a command's
  ``URL`` origin is rewritten to its fake's.
* Each gateway runs in a folder of its own holding an ``examples`` link to
  the repository's, so ``--config examples/...`` and ``PYTHONPATH=examples/...``
  resolve as from a clone, while ledgers and logs stay out of the repository.
* The environment starts clean of provider keys and ``LLMGW_*``/``VLLM_*``,
  so the machine's own settings never decide a result.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from processes import Gateway, free_port, wait_ready_sync
from readme_commands import Command, parse_needs

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VLLM_MODEL = "Qwen/Qwen3-8B"
UPSTREAM_KEY = "readme-test-upstream-key"
_CLEARED = ("LLMGW_", "VLLM_", "UPSTREAM_KEY_", "BUDGET_LIMIT", "OPENAI_", "ANTHROPIC_")
_CLEARED_KEYS = ("MISTRAL_API_KEY", "TOGETHER_API_KEY", "OPENROUTER_API_KEY", "OLLAMA_BASE_URL")
_README_ADDRESS = re.compile(r"(?:localhost|127\.0\.0\.1|\[::\]|0\.0\.0\.0):5005([12])\b")


def base_env() -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(_CLEARED) and k not in _CLEARED_KEYS
    }
    env["PATH"] = os.pathsep.join((str(BIN), env.get("PATH", "")))
    return env


@dataclass(frozen=True)
class GatewayKey:
    """What makes two commands share a gateway: the serve command that starts
    it and the needs that change its environment."""

    serve: Command
    needs: tuple[str, ...]


@dataclass
class Session:
    folder: Path
    default_serve: Command
    fakes: dict[str, tuple[subprocess.Popen[str], str]] = field(default_factory=dict)
    gateways: dict[GatewayKey, Gateway] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)

    # --- what a command runs against ------------------------------------

    def key(self, command: Command) -> GatewayKey:
        if command.starts_gateway:
            return GatewayKey(command, ())
        if command.server is not None:
            return GatewayKey(command.server, ())
        changes_env = tuple(i for i in command.needs if i.split()[0] in ("vllm", "env"))
        return GatewayKey(self.default_serve, changes_env)

    def start(self, commands: list[Command]) -> None:
        """Every fake and gateway these commands need, started together."""
        for command in commands:
            for kind, argument in parse_needs(command.needs):
                if kind in ("vllm", "upstream"):
                    self._fake(argument or "vllm")
            for name, line in command.exports:
                self._export(name, line)
        pending = {self.key(c) for c in commands} - set(self.gateways)
        for key in sorted(pending, key=lambda k: (k.serve.line, k.needs)):
            self.gateways[key] = self._spawn(key)
        for key in pending:
            gateway = self.gateways[key]
            try:
                wait_ready_sync(gateway.address, gateway.process, seconds=60)
            except AssertionError as exc:
                raise AssertionError(f"{key.serve.text} did not start:\n{gateway.logs()}") from exc

    def run(self, command: Command) -> subprocess.CompletedProcess[str]:
        self.start([command])
        gateway = self.gateways[self.key(command)]
        env = {
            **base_env(),
            **self._exports_of(command),
            **dict(command.assignments),
            "LLMGW_ADDRESS": gateway.address,
            "LLMGW_ADMIN_ADDRESS": gateway.admin,
        }
        argv = self.rewrite(command, gateway.address, gateway.admin)
        return subprocess.run(
            argv, env=env, cwd=gateway.folder, capture_output=True, text=True, timeout=60
        )

    def gateway(self, command: Command) -> Gateway:
        self.start([command])
        return self.gateways[self.key(command)]

    def rewrite(self, command: Command, address: str, admin: str) -> list[str]:
        """The command's argv with README addresses moved to this run's."""
        ports = {"1": address, "2": admin}
        origins = {
            _origin(argument): self.fakes[argument][1]
            for kind, argument in parse_needs(command.needs)
            if kind == "upstream"
        }
        argv = []
        for word in command.argv:
            word = _README_ADDRESS.sub(lambda m: ports[m.group(1)], word)
            for readme_origin, fake_origin in origins.items():
                word = word.replace(readme_origin, fake_origin)
            argv.append(word)
        if command.starts_gateway:
            argv += [] if "--listen" in argv else ["--listen", address]
            argv += [] if "--admin-listen" in argv else ["--admin-listen", admin]
            if "--metrics-listen" not in argv:  # parallel gateways: no shared 9464
                argv += ["--metrics-listen", f"127.0.0.1:{free_port()}"]
        return [str(BIN / argv[0]), *argv[1:]]

    # --- processes ---------------------------------------------------------

    def _spawn(self, key: GatewayKey) -> Gateway:
        folder = self.folder / f"gateway-{len(self.gateways)}"
        folder.mkdir(parents=True)
        (folder / "examples").symlink_to(REPO / "examples")
        address, admin = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
        env = {**base_env(), **self._exports_of(key.serve), **dict(key.serve.assignments)}
        for kind, argument in parse_needs(key.needs):
            if kind == "vllm":
                env.update(VLLM_ENDPOINT=self.fakes["vllm"][1], VLLM_MODEL=VLLM_MODEL)
            elif kind == "env":
                env[argument] = UPSTREAM_KEY
        process = subprocess.Popen(
            self.rewrite(key.serve, address, admin),
            env=env,
            cwd=folder,
            stdout=(folder / "stdout.log").open("wb"),
            stderr=(folder / "stderr.log").open("wb"),
        )
        return Gateway(process, address, admin, folder)

    def _fake(self, name: str) -> None:
        """An OpenAI-compatible fake (vLLM's /health too) on a free port."""
        if name in self.fakes:
            return
        process = subprocess.Popen(
            [sys.executable, "-m", "upstream_fakes", "--kind", "openai", "--chunks", "3"],
            env={**base_env(), "PYTHONPATH": str(REPO / "tests")},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.fakes[name] = (process, _origin(_ready_line(process).removeprefix("READY ")))

    def _export(self, name: str, line: str) -> None:
        """``export NAME=...`` evaluated once by bash (``$(openssl rand ...)``
        must give the gateway and the commands the same value)."""
        if name in self.exports:
            return
        script = f'{line}\nprintf "%s" "${{{name}}}"'
        done = subprocess.run(
            ["bash", "-c", script], env=base_env(), capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0 and done.stdout, f"{line!r} failed: {done.stderr}"
        self.exports[name] = done.stdout

    def _exports_of(self, command: Command) -> dict[str, str]:
        return {name: self.exports[name] for name, _ in command.exports}

    def close(self) -> dict[str, tuple[int, str]]:
        """SIGTERM every gateway (README: drains, exits 0); their exit codes and logs."""
        codes = {}
        for key, gateway in self.gateways.items():
            try:
                codes[key.serve.text] = (gateway.terminate(timeout=30), gateway.logs())
            except subprocess.TimeoutExpired:
                gateway.kill()
                codes[key.serve.text] = (-1, gateway.logs())
        for process, _ in self.fakes.values():
            process.kill()
            process.wait(10)
        return codes


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _ready_line(process: subprocess.Popen[str], seconds: float = 30) -> str:
    """The fake's ``READY <base_url>`` line, waited for with a deadline."""
    assert process.stdout is not None
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if process.poll() is not None:
            raise AssertionError(f"fake upstream exited with {process.returncode}")
        readable, _, _ = select.select([process.stdout], [], [], end - time.monotonic())
        if readable:
            line = process.stdout.readline().strip()
            if line.startswith("READY "):
                return line
    raise AssertionError("fake upstream did not print READY in time")
