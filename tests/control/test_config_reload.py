"""Configuration reload (SIGHUP): aliases, routing, price overrides, budgets and
caller limits change at run time; settings that need a restart are named and
left alone; an invalid file changes nothing; every reload is an audit row."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from conftest import gateway_at
from helpers import chat
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc, gateway_service_pb2_grpc
from llmgw import app
from llmgw.config import Settings, load_settings
from llmgw.domain.money import NANOS_PER_UNIT as NANOS
from processes import start_gateway, wait_ready

_pb = admin_service_pb2
SECRET = "sk-canary-reload-0123456789abcdef"


def _config(state: Path, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "listen": "127.0.0.1:0",
        "admin_listen": "127.0.0.1:0",
        "shutdown_grace_seconds": 1,
        "probe_interval_seconds": 0,
        "ledger": {
            "sqlite_path": str(state / "llmgw.sqlite3"),
            "outbox_path": str(state / "outbox.sqlite3"),
        },
        "aliases": {"fast": ["demo/demo-chat"]},
        "budgets": {"budgets": [{"name": "team", "scope": "tenant", "value": "t1", "limit": 5}]},
    }
    values.update(extra)
    return values


async def _code(stub: gateway_service_pb2_grpc.GatewayServiceStub, model: str) -> grpc.StatusCode:
    try:
        await stub.Chat(chat(model))
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_reload_applies_runtime_settings_refuses_bad_files_and_audits(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(_config(tmp_path)), encoding="utf-8")

    def load() -> Settings:
        return load_settings(path, env={})

    started = load()
    async with gateway_at(started.model_dump(), {}) as running:
        reloader = app.config_reloader(running, started, load)
        gateway = running.built.gateway
        assert running.costs is not None and running.costs.guard is not None
        guard = running.costs.guard
        demo_chat = next(m for m in gateway.catalog.models if m.id == "demo-chat")
        async with (
            grpc.aio.insecure_channel(running.data_address) as data,
            grpc.aio.insecure_channel(running.admin_address) as admin_channel,
        ):
            stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
            admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
            assert await _code(stub, "fast") == grpc.StatusCode.OK
            assert await _code(stub, "quick") == grpc.StatusCode.NOT_FOUND

            edited = _config(
                tmp_path,
                listen="127.0.0.1:1",  # needs a restart: named, not applied
                aliases={"quick": ["demo/demo-chat"]},
                routing={"strategies": {"quick": "cost"}},
                prices={
                    "demo/demo-chat": {
                        "input_per_million_tokens": "1.5",
                        "output_per_million_tokens": 3,
                    },
                    "nowhere/unknown-model": {
                        "input_per_million_tokens": 1,
                        "output_per_million_tokens": 1,
                    },
                },
                budgets={
                    "budgets": [
                        {"name": "team", "scope": "tenant", "value": "t1", "limit": 7},
                        {"name": "other", "scope": "tenant", "value": "t2", "limit": 1},
                    ]
                },
                rate_limits={"tenant": {"rpm": 1000}},
            )
            path.write_text(yaml.safe_dump(edited), encoding="utf-8")
            result = await reloader.reload()
            assert result.ok, result.error
            assert result.restart_required == ("listen",)
            assert await _code(stub, "quick") == grpc.StatusCode.OK
            assert await _code(stub, "fast") == grpc.StatusCode.NOT_FOUND
            assert gateway.routing.strategies == {"quick": "cost"}
            price = gateway.prices.price(demo_chat)
            assert price is not None and str(price.input_per_mtok) == "1.5"
            limits = {b.name: b.limit_nanos for b in guard.budgets()}
            assert limits == {"team": 7 * NANOS, "other": 1 * NANOS}
            assert gateway.limits is not None and gateway.limits.defaults.tenant.rpm == 1000

            # Invalid files change nothing: a failed validation, then broken YAML
            # whose quoted line holds a literal key (never copied anywhere).
            path.write_text(
                yaml.safe_dump(
                    {
                        **edited,
                        "aliases": {"broken": ["demo/demo-chat"]},
                        "routing": {"strategies": {"quick": "nonsense"}},
                    }
                ),
                encoding="utf-8",
            )
            invalid = await reloader.reload()
            assert not invalid.ok and "routing.strategies" in invalid.error
            path.write_text(f"aliases:\n  quick: [demo/demo-chat\napi_key: {SECRET}\n", "utf-8")
            broken = await reloader.reload()
            assert not broken.ok and SECRET not in broken.error
            assert await _code(stub, "quick") == grpc.StatusCode.OK
            assert await _code(stub, "broken") == grpc.StatusCode.NOT_FOUND
            assert gateway.routing.strategies == {"quick": "cost"}

            events = await admin.ListAuditEvents(_pb.ListAuditEventsRequest(action="ReloadConfig"))
    rows = events.events  # newest first
    assert [(e.actor, e.target, e.outcome) for e in rows] == [
        ("signal:SIGHUP", "config", _pb.AUDIT_OUTCOME_FAILURE),
        ("signal:SIGHUP", "config", _pb.AUDIT_OUTCOME_FAILURE),
        ("signal:SIGHUP", "config", _pb.AUDIT_OUTCOME_SUCCESS),
    ]
    summary = json.loads(rows[2].after_json)
    assert summary["aliases"]["added"] == {"quick": ["demo/demo-chat"]}
    assert summary["aliases"]["removed"] == ["fast"]
    assert summary["routing"] == ["strategies"]
    assert summary["prices"] == {
        "changed": ["demo/demo-chat"],
        "ignored": ["nowhere/unknown-model"],
    }
    assert summary["budgets"]["written"] == ["team", "other"]
    assert summary["rate_limits"] == ["tenant"]
    assert summary["restart_required"] == ["listen"]
    assert "routing.strategies" in json.loads(rows[1].after_json)["error"]
    for row in rows:
        assert SECRET not in row.SerializeToString().decode("utf-8", "replace")


async def test_sighup_reloads_a_running_process(tmp_path: Path) -> None:
    config = {"aliases": {"fast": ["demo/demo-chat"]}, "probe_interval_seconds": 0}
    gateway = start_gateway(tmp_path, config)
    try:
        await wait_ready(gateway)
        async with (
            grpc.aio.insecure_channel(gateway.address) as data,
            grpc.aio.insecure_channel(gateway.admin) as admin_channel,
        ):
            stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
            admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
            assert await _code(stub, "quick") == grpc.StatusCode.NOT_FOUND
            config["aliases"] = {"fast": ["demo/demo-chat"], "quick": ["demo/demo-chat"]}
            (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
            gateway.process.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 20
            while await _code(stub, "quick") != grpc.StatusCode.OK:
                if time.monotonic() > deadline or gateway.process.poll() is not None:
                    pytest.fail(f"the new alias never answered:\n{gateway.logs()}")
                await asyncio.sleep(0.05)  # poll interval (the deadline bounds the wait)
            events = await admin.ListAuditEvents(_pb.ListAuditEventsRequest(action="ReloadConfig"))
            assert [(e.actor, e.outcome) for e in events.events] == [
                ("signal:SIGHUP", _pb.AUDIT_OUTCOME_SUCCESS)
            ]
        assert gateway.terminate() == 0
    finally:
        gateway.kill()


async def _reload_outcomes(admin: Any) -> list[int]:
    events = await admin.ListAuditEvents(_pb.ListAuditEventsRequest(action="ReloadConfig"))
    return [e.outcome for e in events.events]  # newest first


async def test_sighup_with_an_empty_or_truncated_file_changes_nothing(tmp_path: Path) -> None:
    """Issue 10 item 8: an empty file on SIGHUP removed the hard budgets,
    reverted price overrides and reset ``default``."""
    config = {
        "probe_interval_seconds": 0,
        "aliases": {"default": ["demo/demo-chat"], "fast": ["demo/demo-chat"]},
        "prices": {
            "demo/demo-chat": {"input_per_million_tokens": "7", "output_per_million_tokens": "9"}
        },
        "budgets": {"budgets": [{"name": "hard", "limit": 5}]},
    }
    path = tmp_path / "config.yaml"
    gateway = start_gateway(tmp_path, config)
    try:
        await wait_ready(gateway)
        async with (
            grpc.aio.insecure_channel(gateway.address) as data,
            grpc.aio.insecure_channel(gateway.admin) as admin_channel,
        ):
            stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
            admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
            before = (await stub.Chat(chat("default"))).cost.total
            truncated = {k: v for k, v in config.items() if k != "budgets"}
            documents = ["", "# only a comment\n", yaml.safe_dump(truncated)]
            for expected, text in enumerate(documents, start=1):
                path.write_text(text, encoding="utf-8")
                gateway.process.send_signal(signal.SIGHUP)
                deadline = time.monotonic() + 20
                while len(await _reload_outcomes(admin)) < expected:
                    if time.monotonic() > deadline or gateway.process.poll() is not None:
                        pytest.fail(f"no ReloadConfig audit row:\n{gateway.logs()}")
                    await asyncio.sleep(0.05)  # poll interval (the deadline bounds the wait)
                assert (await _reload_outcomes(admin))[0] == _pb.AUDIT_OUTCOME_FAILURE, text
                budgets = (await admin.ListBudgets(_pb.ListBudgetsRequest())).budgets
                assert [(b.name, b.limit.units) for b in budgets] == [("budgets/hard", 5)]
                assert await _code(stub, "fast") == grpc.StatusCode.OK  # aliases kept
                after = (await stub.Chat(chat("default"))).cost.total
                assert (after.units, after.nanos) == (before.units, before.nanos)  # prices kept
            # Saying so explicitly removes them.
            path.write_text(yaml.safe_dump({**truncated, "budgets": {}}), encoding="utf-8")
            gateway.process.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 20
            while (await admin.ListBudgets(_pb.ListBudgetsRequest())).budgets:
                if time.monotonic() > deadline or gateway.process.poll() is not None:
                    pytest.fail(f"the explicit removal was not applied:\n{gateway.logs()}")
                await asyncio.sleep(0.05)
            assert (await _reload_outcomes(admin))[0] == _pb.AUDIT_OUTCOME_SUCCESS
        assert gateway.terminate() == 0
    finally:
        gateway.kill()
