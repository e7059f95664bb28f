"""The chain contract: befores in order, finalizers once, in reverse, whatever happens."""

from __future__ import annotations

import asyncio

import pytest
from llmgw.domain.principal import ANONYMOUS
from llmgw.domain.requests import Attribution, ChatRequest
from llmgw.pipeline.chain import Chain, Step
from llmgw.pipeline.context import CallContext, Operation


class _Step:
    def __init__(self, name: str, log: list[str], fail: BaseException | None = None) -> None:
        self.name = name
        self._log = log
        self._fail = fail

    async def before(self, ctx: CallContext) -> None:
        self._log.append(f"before {self.name}")
        if self._fail is not None:
            raise self._fail

    async def after(self, ctx: CallContext) -> None:
        error = type(ctx.error).__name__ if ctx.error is not None else "ok"
        self._log.append(f"after {self.name} {error}")


class _Blocks(_Step):
    """Waits until cancelled (a call the caller walks away from)."""

    def __init__(self, name: str, log: list[str], entered: asyncio.Event) -> None:
        super().__init__(name, log)
        self._entered = entered

    async def before(self, ctx: CallContext) -> None:
        self._log.append(f"before {self.name}")
        self._entered.set()
        await asyncio.Event().wait()


def _ctx() -> CallContext:
    return CallContext(
        Operation.CHAT,
        ChatRequest(model="m", messages=()),
        ANONYMOUS,
        Attribution(),
        None,
        "r",
        lambda: 0,
    )


def test_steps_satisfy_the_protocol() -> None:
    assert isinstance(_Step("a", []), Step)


async def test_success_runs_befores_in_order_then_afters_in_reverse_once() -> None:
    log: list[str] = []
    ctx = _ctx()
    await Chain([_Step("a", log), _Step("b", log), _Step("c", log)]).run(ctx)
    assert log == ["before a", "before b", "before c", "after c ok", "after b ok", "after a ok"]
    assert ctx.error is None


async def test_a_failing_before_stops_the_call_and_unwinds_only_completed_steps() -> None:
    log: list[str] = []
    boom = ValueError("no")
    chain = Chain([_Step("a", log), _Step("b", log, fail=boom), _Step("c", log)])
    ctx = _ctx()
    with pytest.raises(ValueError) as caught:
        await chain.run(ctx)
    assert caught.value is boom  # never rewrapped
    assert log == ["before a", "before b", "after a ValueError"]
    assert ctx.error is boom


async def test_cancellation_runs_the_finalizers_of_completed_steps() -> None:
    log: list[str] = []
    entered = asyncio.Event()
    chain = Chain([_Step("a", log), _Step("b", log), _Blocks("c", log, entered)])
    task = asyncio.create_task(chain.run(_ctx()))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log == [
        "before a",
        "before b",
        "before c",
        "after b CancelledError",
        "after a CancelledError",
    ]


async def test_a_failing_finalizer_does_not_skip_the_others_and_surfaces_on_success() -> None:
    log: list[str] = []

    class BadAfter(_Step):
        async def after(self, ctx: CallContext) -> None:
            log.append("after bad")
            raise KeyError("finalizer")

    chain = Chain([_Step("a", log), BadAfter("bad", log), _Step("c", log)])
    with pytest.raises(KeyError):
        await chain.run(_ctx())
    assert log[-3:] == ["after c ok", "after bad", "after a ok"]


async def test_enter_then_exit_is_the_stream_shape() -> None:
    log: list[str] = []
    chain = Chain([_Step("a", log), _Step("b", log)])
    ctx = _ctx()
    done = await chain.enter(ctx)
    assert log == ["before a", "before b"]  # finalizers wait for the end of the stream
    await chain.exit(ctx, done)
    assert log[2:] == ["after b ok", "after a ok"]


async def test_a_step_declaring_no_finalizer_is_not_awaited_after() -> None:
    log: list[str] = []

    class NoAfter(_Step):
        finalizes = False

        async def after(self, ctx: CallContext) -> None:
            raise AssertionError("a step with finalizes = False must not be finalized")

    await Chain([_Step("a", log), NoAfter("b", log), _Step("c", log)]).run(_ctx())
    assert log == ["before a", "before b", "before c", "after c ok", "after a ok"]
