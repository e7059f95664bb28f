"""A live ``llmgw serve`` (auth on) over fake upstreams, shared by the client tests.

Four fake OpenAI-compatible upstreams, one model each:

* ``fake-model``: answers ``Hello, world!`` (4 chunks), priced, so ``final``
  carries usage and a cost;
* ``slow-model``: streams ``tick `` every 50 ms for ~20 s (cancel, deadline);
* ``sleepy-model``: answers after 30 s (unary deadline);
* ``limited-model``: always 429 with ``retry-after: 1`` (``RetryInfo``).

Client programs in other languages get the addresses, key and models through
``World.env()`` and print ``PASS <scenario>`` per scenario they verified.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from processes import Gateway, start_gateway, wait_ready
from upstream_fakes import FakeOpenAI, Reply

KEY = "sk-fake"
EXPECT_TEXT = "Hello, world!"
SCENARIOS = frozenset(
    {
        "health",
        "chat",
        "stream",
        "cancel",
        "deadline",
        "typo_model",
        "bad_request",
        "retry_info",
        "unauthenticated",
    }
)


@dataclass
class World:
    gateway: Gateway
    api_key: str
    fast: FakeOpenAI
    slow: FakeOpenAI
    sleepy: FakeOpenAI
    limited: FakeOpenAI

    @property
    def address(self) -> str:
        return self.gateway.address

    def env(self) -> dict[str, str]:
        return {
            "LLMGW_ADDRESS": self.gateway.address,
            "LLMGW_ADMIN_ADDRESS": self.gateway.admin,
            "LLMGW_API_KEY": self.api_key,
            "LLMGW_MODEL": "fake-model",
            "LLMGW_SLOW_MODEL": "slow-model",
            "LLMGW_SLEEPY_MODEL": "sleepy-model",
            "LLMGW_LIMITED_MODEL": "limited-model",
            "LLMGW_EXPECT_TEXT": EXPECT_TEXT,
        }

    async def slow_upstream_disconnected(self, seconds: float = 15) -> bool:
        """Did a cancelled stream reach the upstream (it saw the client hang up)?"""
        try:
            await asyncio.wait_for(self.slow.disconnected.wait(), seconds)
        except TimeoutError:
            return False
        return True


def _backend(name: str, fake: FakeOpenAI, model: str) -> dict[str, object]:
    return {
        "name": name,
        "kind": "openai_compatible",
        "base_url": fake.base_url,
        "api_keys": [KEY],
        "models": [{"id": model, "capabilities": ["streaming"], "max_output_tokens": 1000}],
        "retry": {"max_retries": 0},
    }


@asynccontextmanager
async def live_world(folder: Path) -> AsyncIterator[World]:
    api_key = f"bootstrap-admin-secret-{secrets.token_hex(16)}"
    async with AsyncExitStack() as stack:
        fast = await stack.enter_async_context(FakeOpenAI(api_key=KEY))
        slow = await stack.enter_async_context(
            FakeOpenAI(api_key=KEY, default=Reply(chunks=["tick "] * 400, chunk_delay=0.05))
        )
        sleepy = await stack.enter_async_context(
            FakeOpenAI(api_key=KEY, default=Reply(first_byte_delay=30))
        )
        limited = await stack.enter_async_context(
            FakeOpenAI(
                api_key=KEY,
                default=Reply(
                    status=429, error_type="rate_limit_exceeded", headers={"retry-after": "1"}
                ),
            )
        )
        config = {
            "demo_enabled": False,
            "probe_interval_seconds": 0,
            "shutdown_grace_seconds": 1,
            "auth": {"bootstrap_admin_key": api_key},
            "ledger": {"outbox_path": str(folder / "outbox.sqlite3")},
            "backends": [
                _backend("fast", fast, "fake-model"),
                _backend("slow", slow, "slow-model"),
                _backend("sleepy", sleepy, "sleepy-model"),
                _backend("limited", limited, "limited-model"),
            ],
            "prices": {
                "fast/fake-model": {
                    "input_per_million_tokens": "2",
                    "output_per_million_tokens": "8",
                }
            },
        }
        gateway = start_gateway(folder, config)
        try:
            await wait_ready(gateway)
            yield World(gateway, api_key, fast, slow, sleepy, limited)
        finally:
            gateway.kill()


def passed(output: str) -> set[str]:
    """The scenarios a client program reported as ``PASS <name>``."""
    return {line.split()[1] for line in output.splitlines() if line.startswith("PASS ")}


def which(tool: str) -> str | None:
    return shutil.which(tool)
