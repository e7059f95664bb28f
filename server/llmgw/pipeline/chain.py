"""One chain of steps for every data-plane call.

A ``Step`` has a ``before`` and an ``after``. The chain runs every step's
``before`` in order; the last step (the attempt step) makes the upstream call.
Then the ``after`` of every step whose ``before`` completed runs exactly once,
in reverse order, whatever happened:

=====================================  =========================================
the call                               when the finalizers (``after``) run
=====================================  =========================================
unary, succeeded                       right after the last ``before``
unary or stream, a ``before`` raised   at once; ``ctx.error`` is the exception
cancelled (caller went away)           at once; ``ctx.error`` is the cancellation
stream opened                          when the stream ends: final event, error,
                                       client cancel or generator closed, with
                                       ``ctx.usage``/``ctx.cost`` final
=====================================  =========================================

A ``before`` that raises stops the call: a ``GatewayError`` reaches the caller
as itself (through the status table), anything else as ``INTERNAL`` without its
text. The chain never rewraps or swallows it. An ``after`` that raises does not
stop the other finalizers; its error reaches the caller only when the call
itself succeeded.

Writing a step (operators may add their own: ``pipeline.steps`` in the config,
or the ``llmgw.pipeline_steps`` entry-point group)::

    class DenyList:
        name = "deny-list"

        async def before(self, ctx: CallContext) -> None:
            if "forbidden" in prompt_text(ctx.request):
                raise InvalidArgumentError(...)   # any GatewayError
            ctx.labels["screened"] = "yes"

        async def after(self, ctx: CallContext) -> None:
            pass                                  # ctx.error is None on success

Steps are built once at start-up and shared by every call: keep per-call state
on the ``CallContext``, never on ``self``. A step whose feature is not
configured is not in the chain (it costs nothing); a chain of N steps costs N
``before`` and N ``after`` awaits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from llmgw.pipeline.context import CallContext


@runtime_checkable
class Step(Protocol):
    """A link of the chain (see the module docstring for the contract)."""

    name: str

    async def before(self, ctx: CallContext) -> None:
        """Admit, annotate or reject (raise) the call; may set context fields."""

    async def after(self, ctx: CallContext) -> None:
        """Finalize: runs once, in reverse order, on success, error or cancel."""


class Chain:
    """The configured steps, in order; immutable once built."""

    __slots__ = ("_finalizers", "steps")

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = tuple(steps)
        # (position, after) of the steps that finalize anything, last first: a
        # step may declare ``finalizes = False`` when its ``after`` is a no-op
        # (the built-in plan and attempt steps), so the chain does not await it.
        self._finalizers = tuple(
            (index, step.after)
            for index, step in reversed(tuple(enumerate(self.steps)))
            if getattr(step, "finalizes", True)
        )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(step.name for step in self.steps)

    async def enter(self, ctx: CallContext) -> int:
        """Run every ``before``; returns how many completed (all of them).

        When one raises, the finalizers of the completed ones run at once and
        the exception propagates unchanged."""
        done = 0
        try:
            for step in self.steps:
                await step.before(ctx)
                done += 1
        except BaseException as error:
            ctx.error = error
            await self.exit(ctx, done)
            raise
        return done

    async def exit(self, ctx: CallContext, done: int) -> None:
        """Run the ``after`` of the first ``done`` steps, last first, each once."""
        failure: BaseException | None = None
        for index, after in self._finalizers:
            if index >= done:
                continue  # its ``before`` did not complete
            try:
                await after(ctx)
            except BaseException as error:  # every finalizer runs
                failure = failure or error
        if failure is not None and ctx.error is None:
            raise failure

    async def run(self, ctx: CallContext) -> None:
        """A unary call: every ``before``, then every ``after`` (``enter`` and
        ``exit`` inlined: one coroutine less per call)."""
        done = 0
        try:
            for step in self.steps:
                await step.before(ctx)
                done += 1
        except BaseException as error:
            ctx.error = error
            await self.exit(ctx, done)
            raise
        await self.exit(ctx, done)


__all__ = ["CallContext", "Chain", "Step"]
