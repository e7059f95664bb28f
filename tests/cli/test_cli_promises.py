"""What the README and the CLI promise, through the real CLI (typer's runner in
a thread, so the gateway under test keeps its own event loop) against a real
gateway: prices and limits in ``llmgw models``, and the error messages of
issue 11 item 14."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from conftest import gateway_at
from llmgw.app import Running
from llmgw.cli.main import app
from typer.testing import CliRunner, Result
from upstream_fakes import FakeOpenAI

KEY = "sk-fake"
PRICED = {
    "fake/priced-model": {"input_per_million_tokens": "0.15", "output_per_million_tokens": "0.6"}
}


async def invoke(*args: str) -> Result:
    """``llmgw ARGS`` in a worker thread (the CLI runs its own ``asyncio.run``)."""
    runner = CliRunner()
    env = {"COLUMNS": "250", "LLMGW_API_KEY": "", "LLMGW_ADMIN_KEY": ""}
    return await asyncio.to_thread(runner.invoke, app, list(args), env=env)


@pytest.fixture
async def priced() -> AsyncIterator[Running]:
    async with FakeOpenAI(api_key=KEY) as fake:
        settings = {
            "demo_enabled": False,
            "backends": [
                {
                    "name": "fake",
                    "kind": "openai_compatible",
                    "base_url": fake.base_url,
                    "api_keys": [KEY],
                    "models": [
                        {
                            "id": "priced-model",
                            "capabilities": ["streaming", "tools"],
                            "context_window": 128000,
                            "max_output_tokens": 16384,
                        }
                    ],
                }
            ],
            "aliases": {"smart": ["fake/priced-model"]},
            "prices": PRICED,
        }
        async with gateway_at(settings) as running:
            yield running


async def test_models_lists_prices_limits_and_capabilities_without_admin_scope(
    priced: Running,
) -> None:
    result = await invoke("models", "-a", priced.data_address)
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if "priced-model" in row)
    cells = [cell.strip() for cell in line.split("│") if cell.strip()]
    assert cells[:8] == [
        "priced-model", "chat", "smart", "0.15", "0.6", "128000", "16384", "streaming tools",
    ]  # fmt: skip
    assert "unpriced" not in result.output


async def test_basic_view_carries_what_a_caller_needs_but_not_placement(priced: Running) -> None:
    import grpc
    from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc, routing_pb2

    async with grpc.aio.insecure_channel(priced.data_address) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        listed = await stub.ListModels(gateway_service_pb2.ListModelsRequest())
    (model,) = listed.models
    assert model.pricing.input_per_million_tokens.nanos == 150_000_000
    assert model.pricing.output_per_million_tokens.nanos == 600_000_000
    assert (model.input_token_limit, model.output_token_limit) == (128000, 16384)
    assert routing_pb2.CAPABILITY_TOOLS in model.capabilities
    assert list(model.aliases) == ["smart"] and not model.backends


# --- issue 11 item 14: the CLI's failure messages ---------------------------


def test_serve_on_a_port_in_use_prints_one_line_naming_it_and_exits_2() -> None:
    import socket
    import subprocess
    import sys
    from pathlib import Path

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        address = f"127.0.0.1:{holder.getsockname()[1]}"
        done = subprocess.run(
            [str(Path(sys.executable).parent / "llmgw"), "serve", "--listen", address,
             "--admin-listen", "127.0.0.1:0"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert lines == [f"error: cannot listen on {address}: address already in use"]


async def test_bad_log_level_is_a_clean_usage_error() -> None:
    result = await invoke("serve", "--log-level", "loud")
    assert result.exit_code == 2
    assert "'loud' is not one of" in result.output and "Traceback" not in result.output


async def test_chat_with_nothing_listening_says_where_it_looked_and_how_to_change_it() -> None:
    from processes import free_port

    address = f"127.0.0.1:{free_port()}"
    result = await invoke("chat", "demo-chat", "hi", "-a", address)
    assert result.exit_code == 1
    assert f"the gateway is not reachable at {address}" in result.output
    assert "--address" in result.output and "LLMGW_ADDRESS" in result.output


async def test_typo_in_model_suggests_the_closest_names(demo_gateway: Running) -> None:
    result = await invoke("chat", "demo-chta", "hi", "-a", demo_gateway.data_address)
    assert result.exit_code == 1
    assert "NOT_FOUND" in result.output
    assert "did you mean: demo-chat" in result.output


async def test_data_plane_command_on_the_admin_port_says_so(demo_gateway: Running) -> None:
    for args in (("chat", "demo-chat", "hi"), ("models",)):
        result = await invoke(*args, "-a", demo_gateway.admin_address)
        assert result.exit_code == 1
        assert "Method not found" not in result.output
        assert (
            f"{demo_gateway.admin_address} does not serve llmgateway.v1.GatewayService: "
            "it is probably the admin port"
        ) in result.output
    keys = await invoke("keys", "list", "--admin", demo_gateway.data_address)
    assert "does not serve llmgateway.v1.AdminService" in keys.output


async def test_chat_summary_keeps_its_backend_and_model(demo_gateway: Running) -> None:
    result = await invoke("chat", "demo-chat", "hi", "-a", demo_gateway.data_address)
    assert result.exit_code == 0, result.output
    assert "[demo demo-chat] finish=" in result.output


async def test_keys_list_with_auth_off_says_auth_is_off(demo_gateway: Running) -> None:
    result = await invoke("keys", "list", "--admin", demo_gateway.admin_address)
    assert result.exit_code == 0, result.output
    assert "authentication is off on this gateway" in result.output
