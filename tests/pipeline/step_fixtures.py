"""Operator steps the custom-step tests load through ``pipeline.steps``.

Each records what it saw in ``SEEN`` (class-level, reset by the tests): steps
are shared by every call, so per-call state lives on the context."""

from __future__ import annotations

from typing import Any

from llmgw.domain.errors import RateLimitedError
from llmgw.pipeline.context import CallContext

SEEN: list[dict[str, Any]] = []


class Recorder:
    """Sees every call's final state in ``after``."""

    name = "recorder"

    async def before(self, ctx: CallContext) -> None:
        SEEN.append(
            {
                "event": "before",
                "operation": ctx.operation.value,
                "targets": [t.backend for t in ctx.targets],
            }
        )

    async def after(self, ctx: CallContext) -> None:
        usage = ctx.usage
        SEEN.append(
            {
                "event": "after",
                "operation": ctx.operation.value,
                "output_tokens": usage.output_tokens if usage is not None else None,
                "cost_nanos": ctx.cost.total_nanos if ctx.cost is not None else None,
                "error": type(ctx.error).__name__ if ctx.error is not None else None,
            }
        )


class Crashes:
    """A buggy step: its exception text must never reach the caller."""

    name = "crashes"

    async def before(self, ctx: CallContext) -> None:
        raise RuntimeError("internal detail sk-secret-canary")

    async def after(self, ctx: CallContext) -> None:
        raise AssertionError("after of a step whose before failed must not run")


class Refuses:
    """Rejects with a gateway error: the caller sees it as itself."""

    name = "refuses"

    async def before(self, ctx: CallContext) -> None:
        raise RateLimitedError("refused by an operator step", 7.0, "steps/refuses", {})

    async def after(self, ctx: CallContext) -> None:
        raise AssertionError("after of a step whose before failed must not run")
