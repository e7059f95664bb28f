"""``llmgw keys create/list/rotate/revoke`` against a real ``llmgw serve``
process with a bootstrap admin key, and the non-loopback/no-auth refusal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from helpers import chat
from llmgateway.v1 import gateway_service_pb2_grpc
from processes import free_port, wait_ready_sync

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
ADMIN_KEY = "llmgw-test-bootstrap-admin-key-0123456789abcdef"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    port, admin = free_port(), free_port()
    env = {**os.environ, "LLMGW_ADMIN_KEY": ADMIN_KEY}
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "LLMGW_DATABASE_URL", "LLMGW_API_KEY"):
        env.pop(name, None)
    process = subprocess.Popen(
        [str(BIN / "llmgw"), "serve", "--listen", f"127.0.0.1:{port}", "--admin-listen",
         f"127.0.0.1:{admin}", "--metrics-listen", "127.0.0.1:0"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_ready_sync(f"127.0.0.1:{port}", process)
        yield f"127.0.0.1:{port}", f"127.0.0.1:{admin}", process
    finally:
        if process.poll() is None:
            process.terminate()
            process.communicate(timeout=30)


def _keys(admin: str, *args: str, key: str = ADMIN_KEY) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMGW_")}
    env["LLMGW_ADMIN_KEY"] = key
    return subprocess.run(
        [str(BIN / "llmgw"), "keys", *args, "--admin", admin],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip


def _chat_code(address: str, secret: str) -> grpc.StatusCode:
    with grpc.insecure_channel(address) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        try:
            stub.Chat(
                chat("demo-chat"), metadata=(("authorization", f"Bearer {secret}"),), timeout=10
            )
        except grpc.RpcError as exc:
            return exc.code()  # type: ignore[attr-defined, no-any-return]
    return grpc.StatusCode.OK


def test_keys_cli_lifecycle(server: tuple[str, str, subprocess.Popen[str]]) -> None:
    data, admin, process = server
    outputs: list[str] = []

    created = _keys(admin, "create", "--tenant", "acme", "--key-id", "cli-bot", "--json")
    assert created.returncode == 0, created.stderr
    made = json.loads(created.stdout)
    secret = made["secret"]
    assert made["key_id"] == "cli-bot" and secret.startswith("llmgw_")
    assert _chat_code(data, secret) == grpc.StatusCode.OK
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMGW_")}
    answered = subprocess.run(
        [str(BIN / "llmgw"), "chat", "demo-chat", "hi with a key", "-a", data],
        capture_output=True, text=True, timeout=60, check=False,
        env={**env, "LLMGW_API_KEY": secret},
    )  # fmt: skip
    assert answered.returncode == 0 and "hi with a key" in answered.stdout, answered.stderr
    refused = subprocess.run(
        [str(BIN / "llmgw"), "models", "-a", data],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip
    assert refused.returncode == 1 and "UNAUTHENTICATED" in refused.stderr

    listed = _keys(admin, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {k["key_id"] for k in json.loads(listed.stdout)} == {"cli-bot", "bootstrap-admin"}
    table = _keys(admin, "list")
    assert "cli-bot" in table.stdout
    outputs += [listed.stdout, listed.stderr, table.stdout]
    assert all(secret not in text for text in outputs)

    rotated = _keys(admin, "rotate", "cli-bot", "--json")
    assert rotated.returncode == 0, rotated.stderr
    new_secret = json.loads(rotated.stdout)["secret"]
    assert new_secret != secret
    assert _chat_code(data, secret) == grpc.StatusCode.UNAUTHENTICATED
    assert _chat_code(data, new_secret) == grpc.StatusCode.OK

    revoked = _keys(admin, "revoke", "cli-bot")
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in revoked.stdout
    assert _chat_code(data, new_secret) == grpc.StatusCode.UNAUTHENTICATED

    # A data-plane key cannot use the admin plane; a bad key is refused.
    denied = _keys(admin, "list", key=new_secret)
    assert denied.returncode == 1 and "UNAUTHENTICATED" in denied.stderr
    process.terminate()
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    for text in (stdout, stderr, *outputs, rotated.stderr, revoked.stdout, denied.stderr):
        assert ADMIN_KEY not in text and new_secret not in text


def test_no_auth_on_a_public_address_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMGW_")}
    result = subprocess.run(
        [str(BIN / "llmgw"), "serve", "--listen", f"0.0.0.0:{free_port()}"],
        capture_output=True, text=True, timeout=60, check=False, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--insecure-no-auth" in result.stderr and "0.0.0.0" in result.stderr
