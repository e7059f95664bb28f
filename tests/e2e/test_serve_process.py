"""The installed ``llmgw`` command as users run it: serve, grpcurl through
reflection, ``llmgw chat`` / ``models``, SIGTERM -> exit 0, bad config -> exit 2,
and a canary provider key that must appear in no output channel."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from processes import free_port, wait_ready_sync

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
CANARY = "sk-canary-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@dataclass
class Served:
    process: subprocess.Popen[str]
    address: str
    admin: str


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    port, admin = free_port(), free_port()
    env = {
        **os.environ,
        # A real-looking key for a backend that refuses connections: every
        # error path runs while the canary is loaded.
        "OPENAI_API_KEY": CANARY,
        "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
    }
    process = subprocess.Popen(
        [
            str(BIN / "llmgw"),
            "serve",
            "--metrics-listen",
            "127.0.0.1:0",
            "--listen",
            f"127.0.0.1:{port}",
            "--admin-listen",
            f"127.0.0.1:{admin}",
            "--log-level",
            "debug",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready_sync(f"127.0.0.1:{port}", process)
        yield Served(process, f"127.0.0.1:{port}", f"127.0.0.1:{admin}")
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def test_serve_grpcurl_cli_sigterm_and_no_key_leaks(served: Served) -> None:
    grpcurl = str(BIN / "grpcurl")
    outputs: list[str] = []

    listed = _run(grpcurl, "-plaintext", served.address, "list")
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) >= {"llmgateway.v1.GatewayService", "grpc.health.v1.Health"}
    described = _run(
        grpcurl, "-plaintext", served.address, "describe", "llmgateway.v1.GatewayService"
    )
    assert (
        "rpc StreamChat" in described.stdout
        and "stream .llmgateway.v1.StreamChatResponse" in described.stdout
    )
    admin_list = _run(grpcurl, "-plaintext", served.admin, "list")
    assert "llmgateway.v1.AdminService" in admin_list.stdout
    backends = _run(grpcurl, "-plaintext", served.admin, "llmgateway.v1.AdminService/ListBackends")
    assert backends.returncode == 0 and "backends/openai" in backends.stdout
    health = _run(grpcurl, "-plaintext", served.admin, "llmgateway.v1.AdminService/GetHealth")
    assert health.returncode == 0 and '"backend": "openai"' in health.stdout
    outputs += [backends.stdout, health.stdout]

    body = json.dumps(
        {
            "model": "demo-chat",
            "messages": [{"role": "ROLE_USER", "parts": [{"text": "through grpcurl"}]}],
        }
    )
    answered = _run(
        grpcurl, "-plaintext", "-d", body, served.address, "llmgateway.v1.GatewayService/Chat"
    )
    assert answered.returncode == 0, answered.stderr
    reply = json.loads(answered.stdout)
    assert "through grpcurl" in reply["candidates"][0]["message"]["parts"][0]["text"]

    stream_body = json.dumps({"chat": json.loads(body)})
    streamed = _run(
        grpcurl,
        "-plaintext",
        "-d",
        stream_body,
        served.address,
        "llmgateway.v1.GatewayService/StreamChat",
    )
    assert streamed.returncode == 0 and '"final"' in streamed.stdout

    # The backend holding the canary key is down: the error must not echo the key.
    failing = _run(
        grpcurl,
        "-plaintext",
        "-d",
        json.dumps(
            {"model": "gpt-4o-mini", "messages": [{"role": "ROLE_USER", "parts": [{"text": "x"}]}]}
        ),
        served.address,
        "llmgateway.v1.GatewayService/Chat",
    )
    assert failing.returncode != 0
    assert "Unavailable" in failing.stdout + failing.stderr
    outputs += [listed.stdout, answered.stdout, streamed.stdout, failing.stdout, failing.stderr]

    chat = _run(str(BIN / "llmgw"), "chat", "demo-chat", "hello from the cli", "-a", served.address)
    assert chat.returncode == 0, chat.stderr
    assert "hello from the cli" in chat.stdout
    assert "tokens in=" in chat.stderr and "cost=" in chat.stderr
    models = _run(str(BIN / "llmgw"), "models", "-a", served.address)
    assert models.returncode == 0 and "demo-chat" in models.stdout
    assert "gpt-4o-mini" in models.stdout
    outputs += [chat.stdout, chat.stderr, models.stdout]

    started = time.monotonic()
    served.process.send_signal(signal.SIGTERM)
    stdout, stderr = served.process.communicate(timeout=30)
    assert served.process.returncode == 0, stderr
    assert time.monotonic() - started < 15
    assert "shutdown requested" in stderr and "gateway stopped" in stderr
    outputs += [stdout, stderr]
    for text in outputs:
        assert CANARY not in text
        assert CANARY[:20] not in text


def test_bad_config_exits_2_naming_the_field(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("backends:\n  - name: x\n    kind: carrier-pigeon\n", encoding="utf-8")
    result = _run(str(BIN / "llmgw"), "serve", "--config", str(config))
    assert result.returncode == 2
    assert "backends[0].kind" in result.stderr
