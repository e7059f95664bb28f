"""Smoke test of an image-style install (run by .ci/delivery.sh with the clean
venv's python, so only what the lock installed is importable):

``llmgw serve --check-config`` -> ``llmgw serve`` on loopback ports ->
``llmgw health`` exits 0 -> one Chat to the built-in demo model through the
generated stubs -> SIGTERM -> exit 0. Every wait has a deadline.

    VENV/bin/python tests/delivery/image_smoke.py VENV/bin
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
from llmgateway.v1 import content_pb2, gateway_service_pb2, gateway_service_pb2_grpc


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def main(bin_dir: Path) -> int:
    llmgw = str(bin_dir / "llmgw")
    folder = Path(tempfile.mkdtemp(prefix="llmgw-image-smoke-"))
    data, admin = _free_port(), _free_port()
    config = folder / "llmgw.yaml"
    config.write_text(
        f'listen: "127.0.0.1:{data}"\nadmin_listen: "127.0.0.1:{admin}"\n'
        "shutdown_grace_seconds: 5\nprobe_interval_seconds: 0\n"
        f"ledger:\n  sqlite_path: {folder}/data/llmgw.sqlite3\n"
        f"  outbox_path: {folder}/data/llmgw-outbox.sqlite3\n",
        encoding="utf-8",
    )
    checked = _run(llmgw, "serve", "--check-config", "--config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    print(checked.stdout.strip())
    log = (folder / "serve.log").open("wb")
    server = subprocess.Popen(
        [llmgw, "serve", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT, cwd=folder
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            health = _run(llmgw, "health", "--address", f"127.0.0.1:{data}", "--timeout", "2")
            if health.returncode == 0:
                break
            assert server.poll() is None, (folder / "serve.log").read_text()
            assert time.monotonic() < deadline, health.stdout
            time.sleep(0.2)
        print(health.stdout.strip())
        with grpc.insecure_channel(f"127.0.0.1:{data}") as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            reply = stub.Chat(
                gateway_service_pb2.ChatRequest(
                    model="demo-chat",
                    messages=[
                        content_pb2.Message(
                            role=content_pb2.ROLE_USER, parts=[content_pb2.Part(text="hi")]
                        )
                    ],
                ),
                timeout=30,
            )
        text = "".join(part.text for part in reply.candidates[0].message.parts)
        tokens = reply.usage.output_token_count
        assert text and tokens > 0 and reply.route.backend == "demo", reply
        print(f"Chat demo-chat: {len(text)} characters, {tokens} output tokens")
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
        assert code == 0, f"exit {code}: {(folder / 'serve.log').read_text()}"
        print("SIGTERM: exit 0")
        return 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
