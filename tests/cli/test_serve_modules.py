"""What ``llmgw serve`` keeps imported: nothing only other commands need.

A module imported once stays resident for the gateway's life, so the serving
process must not import the CLI's table printer (rich, with pygments, attrs
and colorama behind it), nor genai-prices (its catalogue, pydantic types and
the httpx2 client of its updater: the configured models' prices are listed by
a child process, ``accounting/catalogue.py``), nor the ``limits`` library
(with deprecated and wrapt) when no rate limit is configured and no upstream
key has one (``pipeline/ratelimit.py``, ``pipeline/keys.py``), nor the
adapters of backend kinds it does not serve (``providers/registry.py``), nor
the CLI's parser (typer and click: ``llmgw serve`` parses its flags, then
replaces its process image with ``llmgw.cli.serve_process``), nor the
OpenTelemetry API while tracing is off (``observability/tracing.py``). The
probe runs in a fresh interpreter: it imports what the serving image
imports, starts a gateway with a priced backend, and lists the modules
loaded once it is serving. The last test starts the ``llmgw`` program itself
and checks that the process serving is that image, under the same PID.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

_PROBE = """
import asyncio, json, sys
import llmgw.cli.serve_process  # the image `llmgw serve` execs into
from llmgw.app import running_gateway
from llmgw.config import Settings

STATE = sys.argv[1]
settings = Settings.model_validate({
    "listen": "127.0.0.1:0", "admin_listen": "127.0.0.1:0", "probe_interval_seconds": 0,
    "observability": {"metrics_listen": "127.0.0.1:0"},
    "ledger": {"sqlite_path": STATE + "/ledger.sqlite3", "outbox_path": STATE + "/outbox.sqlite3"},
    "backends": [{
        "name": "fake", "kind": "openai_compatible", "base_url": "http://127.0.0.1:9/v1",
        "api_keys": ["sk-fake-modules"],
        "models": [{"id": "m", "upstream_id": "gpt-4o-mini"}],
    }],
})

async def main():
    async with running_gateway(settings, {}) as running:
        model = running.built.specs[0].models[0]
        priced = running.built.gateway.prices.price(model) is not None
        return sorted(sys.modules), priced

modules, priced = asyncio.run(main())
roots = sorted({name.split(".")[0] for name in modules})
print(json.dumps({"roots": roots, "modules": modules, "priced": priced}))
"""


def _serving_modules(tmp_path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_serving_imports_neither_the_cli_nor_the_catalogue(tmp_path: Path) -> None:
    result = _serving_modules(tmp_path)
    assert result["priced"] is True  # the catalogue price was found
    loaded = set(result["roots"])  # type: ignore[call-overload]
    assert "structlog" in loaded and "grpc" in loaded  # the probe imported what serve does
    assert loaded.isdisjoint({"typer", "click", "shellingham"}), sorted(loaded)
    assert "opentelemetry" not in loaded, sorted(loaded)  # tracing is off
    assert loaded.isdisjoint({"rich", "pygments", "colorama"}), sorted(loaded)
    assert loaded.isdisjoint({"genai_prices", "httpx2"}), sorted(loaded)
    assert loaded.isdisjoint({"limits", "deprecated", "wrapt"}), sorted(loaded)
    assert "llmgw.providers.anthropic" not in set(result["modules"])  # type: ignore[call-overload]


def test_cli_tables_still_print_with_rich() -> None:
    from llmgw.cli.console import console, new_table

    table = new_table("a", "b")
    table.add_row("1", "2")
    out = console(width=40)
    with out.capture() as captured:
        out.print(table)
    assert "a" in captured.get() and "2" in captured.get()
