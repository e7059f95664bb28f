"""Every PromQL expression of the Grafana dashboard returns data from a real
Prometheus (Debian's package, ``.ci/prometheus.sh``) scraping a real gateway.

The gateway gets traffic that exercises every panel: unary and streamed
answers, a backend that fails (retries, fallback, an open breaker), a 429 on
one of two keys (cool-down), a refused caller, a budget, the PostgreSQL
ledger's outbox and probes. Prometheus runs on 127.0.0.1 with a temporary
config scraping ``/metrics`` every second; each expression (Grafana's
``$__rate_interval`` and ``$job`` substituted) is evaluated through
``/api/v1/query`` until it returns a non-empty vector (bounded wait).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from databases import fresh_postgres_database
from helpers import chat
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc, routing_pb2
from processes import free_port, start_gateway, wait_ready
from test_metrics_scrape import config as scrape_config
from upstream_fakes import FakeAnthropic, FakeOpenAI, Reply

pytestmark = pytest.mark.slow

DASHBOARD = Path(__file__).parents[2] / "helm" / "llmgw" / "dashboards" / "llmgw.json"
PROMETHEUS = shutil.which("prometheus")
KEY = "sk-fake"


def expressions() -> list[str]:
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    found = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    assert found, "the dashboard has no queries"
    return found


def concrete(expr: str) -> str:
    """Grafana's variables as Prometheus sees them here."""
    return expr.replace("$__rate_interval", "30s").replace('"$job"', '".*"')


def test_dashboard_expressions_parse_and_name_real_metrics() -> None:
    """Without Prometheus: every metric an expression names is one the gateway exports."""
    from llmgw.observability.metrics import Instruments
    from llmgw.observability.state import StateGauges

    instruments = Instruments()
    StateGauges(instruments)
    exported = {m.name for m in instruments.registry.collect()}
    exported |= {f"{name}_total" for name in exported} | {f"{name}_info" for name in exported}
    exported |= {f"{name}_{s}" for name in exported for s in ("bucket", "sum", "count")}
    for expr in expressions():
        names = set(re.findall(r"\b((?:llmgw|gen_ai)_[a-z_]+)\{", expr))  # metric{...
        assert names and names <= exported, (expr, names - exported)


@pytest.mark.skipif(PROMETHEUS is None, reason="no prometheus binary (.ci/prometheus.sh)")
async def test_every_dashboard_query_returns_data(tmp_path: Path) -> None:
    postgres = os.environ.get("LLMGW_TEST_POSTGRES_URL")
    if not postgres:
        pytest.skip("LLMGW_TEST_POSTGRES_URL is not set (outbox panels need the relayed ledger)")
    async with fresh_postgres_database(postgres) as url:
        async with FakeOpenAI(api_key=KEY) as primary, FakeAnthropic(api_key=KEY) as secondary:
            settings = scrape_config(primary.base_url, secondary.base_url, tmp_path)
            settings["probe_interval_seconds"] = 1
            settings["budgets"] = {"budgets": [{"name": "monthly", "limit": "100"}]}
            settings["ledger"] = {"outbox_path": str(tmp_path / "outbox.sqlite3")}
            settings["backends"][0]["api_keys"] = [KEY, KEY]  # type: ignore[index]
            gateway = start_gateway(tmp_path / "gw", settings, {"LLMGW_DATABASE_URL": url})
            prometheus: subprocess.Popen[bytes] | None = None
            try:
                await wait_ready(gateway)
                await traffic(gateway.address, primary)
                prometheus, api = start_prometheus(tmp_path / "prom", gateway.metrics)
                missing = await evaluate(api, [concrete(e) for e in expressions()])
            finally:
                if prometheus is not None:
                    prometheus.terminate()
                    prometheus.wait(20)
                await asyncio.to_thread(gateway.terminate)
    assert not missing, f"queries without data: {missing}"


async def traffic(address: str, primary: FakeOpenAI) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        primary.enqueue(Reply(status=429, error_type="rate_limit_exceeded"))
        await stub.Chat(chat("fast-model"))  # key-1 cools down, key-2 answers
        request = gateway_service_pb2.StreamChatRequest(chat=chat("fast-model"))
        assert [e async for e in stub.StreamChat(request)]
        primary.enqueue(*[Reply(status=503, error_type="overloaded")] * 3)
        await stub.Chat(chat("chain"))  # retries, fallback, breaker opens
        user = routing_pb2.Attribution(end_user_id="u1")
        await stub.Chat(chat("claude-haiku-4-5", attribution=user))
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.Chat(chat("claude-haiku-4-5", attribution=user))


def start_prometheus(folder: Path, target: str) -> tuple[subprocess.Popen[bytes], str]:
    folder.mkdir(parents=True)
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{"job_name": "llmgw", "static_configs": [{"targets": [target]}]}],
    }
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert PROMETHEUS is not None
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=(folder / "stdout.log").open("wb"),
        stderr=(folder / "stderr.log").open("wb"),
    )
    return process, f"http://127.0.0.1:{port}"


def query(api: str, expr: str) -> list[Any] | None:
    """The result vector, or ``None`` while Prometheus is not answering."""
    url = f"{api}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            body = json.loads(reply.read())
    except OSError:
        return None
    assert body["status"] == "success", (expr, body)
    return list(body["data"]["result"])


async def evaluate(api: str, exprs: list[str], seconds: float = 60) -> list[str]:
    """Expressions still without data when the wait ends (bounded)."""
    pending = list(exprs)
    end = time.monotonic() + seconds
    while pending and time.monotonic() < end:
        pending = [e for e in pending if not await asyncio.to_thread(query, api, e)]
        if pending:
            await asyncio.sleep(0.5)
    return pending
