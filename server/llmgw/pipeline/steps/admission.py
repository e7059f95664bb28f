"""Caller admission: rate limits (requests, input and output TPM) and stream slots.

``before``: for a stream, take a concurrent-stream slot; then count the
request and its input tokens, or raise ``RateLimitedError`` (a refused call
holds no slot). ``after``: free the slot and count the output tokens every
attempt produced (``ctx.output_tokens``), on success, failure or cancel (only
when one of the caller's limits counts output tokens: ``admit`` says so). In
the chain only when ``rate_limits:`` is configured; a caller no limit applies
to costs one ``applies`` check.
"""

from __future__ import annotations

from llmgw.pipeline.context import CallContext
from llmgw.pipeline.ratelimit import CallerLimits


class AdmissionStep:
    name = "admission"

    def __init__(self, limits: CallerLimits) -> None:
        self._limits = limits

    async def before(self, ctx: CallContext) -> None:
        limits, principal = self._limits, ctx.principal
        end_user = ctx.attribution.end_user_id
        if not limits.applies(principal, end_user):
            return
        if ctx.streaming:
            ctx.slot = await limits.acquire_stream_slot(principal)
        try:
            ctx.limited = await limits.admit(principal, end_user, ctx.input_tokens())
        except BaseException:
            await self._release(ctx)
            raise

    async def after(self, ctx: CallContext) -> None:
        try:
            if ctx.slot is not None:  # a stream's slot (a unary call holds none)
                await self._release(ctx)
        finally:
            if ctx.limited:
                end_user = ctx.attribution.end_user_id
                await self._limits.record_output(ctx.principal, end_user, ctx.output_tokens)

    @staticmethod
    async def _release(ctx: CallContext) -> None:
        slot, ctx.slot = ctx.slot, None
        if slot is not None:
            await slot.release()


__all__ = ["AdmissionStep"]
