"""Idempotent request ids (AIP-155): a repeat gets the first call's outcome.

Only calls whose caller chose the ``request_id`` (``request.idempotent``)
take part; the record is keyed on (tenant, request id), so another tenant's
identical id is unrelated. ``before``:

=====================================  =========================================
the record (``storage.idempotency``)   this call
=====================================  =========================================
none, or dead (lease or window over)   claims it and runs (billed as usual)
another body (fingerprint differs)     refused: INVALID_ARGUMENT, field
                                       ``request_id``, reason
                                       ``REQUEST_ID_REUSED``
running (same body)                    waits (woken at once in this process,
                                       polled across replicas) until it is
                                       done, released, or the deadline passes
done (same body)                       answered with the stored outcome: same
                                       ``response_id``, text, usage, route and
                                       cost; nothing reserved, nothing billed
=====================================  =========================================

When the store is down (or slower than ``store_timeout_seconds``), the call
runs without deduplication and the failure is logged: availability first,
as the ledger's outbox keeps calls answering while PostgreSQL is away.

``after`` (the claimer only): success stores the answer for the window (a
stream's answer is every event it relayed, so it replays as a stream); a
failure, a cut stream or a cancel releases the record, so a retry runs (the
cut call stays billed for what it produced: its ledger rows are the ledger
step's business). The running lease is the call's deadline plus a margin, so
a replica that dies mid-call does not block the id beyond that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from llmgw.domain.errors import FailureClass, FieldViolation, InvalidRequestError, UpstreamError
from llmgw.observability.logging import get_logger
from llmgw.pipeline.cache.capture import captured
from llmgw.pipeline.cache.codec import decode, encode
from llmgw.pipeline.cache.fingerprint import body_fingerprint
from llmgw.pipeline.cache.replay import answer
from llmgw.pipeline.context import CallContext
from llmgw.storage.idempotency import Claim, ClaimState, IdempotencyStore

log = get_logger("llmgw.idempotency")

REUSED = FieldViolation(
    "request_id",
    "this request_id was already used with a different request body",
    "REQUEST_ID_REUSED",
)


@dataclass(frozen=True, slots=True)
class IdempotencySettings:
    window_seconds: float = 86_400.0  # how long a finished outcome is replayed
    lease_margin_seconds: float = 10.0  # added to the deadline for a running record
    poll_seconds: float = 0.1  # longest wait between two looks at a running record
    store_timeout_seconds: float = 2.0  # a store slower than this counts as down


class IdempotencyStep:
    name = "idempotency"

    def __init__(
        self,
        store: IdempotencyStore,
        settings: IdempotencySettings | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._settings = settings or IdempotencySettings()
        self._wall = wall
        self._finished: dict[tuple[str, str], asyncio.Event] = {}  # local wake-ups

    async def before(self, ctx: CallContext) -> None:
        request = ctx.request
        if not request.idempotent:
            return
        scope, request_id = ctx.attribution.tenant, ctx.request_id
        fingerprint = body_fingerprint(ctx.operation.value, request)
        token = ctx.response_id
        lease = self._settings.lease_margin_seconds
        lease += ctx.deadline.remaining() if ctx.deadline is not None else 0.0
        claim = await self._claim(scope, request_id, fingerprint, token, lease)
        while claim is not None and (
            claim.fingerprint == fingerprint and claim.state is ClaimState.RUNNING
        ):
            await self._wait((scope, request_id), ctx)
            claim = await self._claim(scope, request_id, fingerprint, token, lease)
        if claim is None:  # the store is unreachable: run, undeduplicated
            return
        if claim.fingerprint != fingerprint:
            raise InvalidRequestError((REUSED,))
        if claim.state is ClaimState.DONE:
            assert claim.answer is not None
            stored = decode(claim.answer)
            ctx.answer = answer(stored, ctx.request_id, stored.route, stored.cost)
            ctx.answered = True
            return
        ctx.claimed = (scope, request_id)
        if ctx.streaming:
            ctx.transcript = []

    async def _claim(
        self, scope: str, request_id: str, fingerprint: str, token: str, lease: float
    ) -> Claim | None:
        """The store's answer, or ``None`` when it is down or slow: the call
        then runs without deduplication (availability first, like the
        ledger's outbox; logged), rather than failing."""
        try:
            async with asyncio.timeout(self._settings.store_timeout_seconds):
                return await self._store.claim(scope, request_id, fingerprint, token, lease)
        except Exception as error:
            log.warning("idempotency store unavailable", error=type(error).__name__)
            return None

    async def _wait(self, key: tuple[str, str], ctx: CallContext) -> None:
        """Until the runner in this process finishes, or one poll interval."""
        remaining = ctx.deadline.remaining() if ctx.deadline is not None else 1.0
        if remaining <= 0:
            raise UpstreamError(
                "", FailureClass.TIMEOUT, detail="deadline passed waiting for the same request id"
            )
        event = self._finished.setdefault(key, asyncio.Event())
        try:
            async with asyncio.timeout(min(self._settings.poll_seconds, remaining)):
                await event.wait()
        except TimeoutError:
            pass

    async def after(self, ctx: CallContext) -> None:
        claimed = ctx.claimed
        if claimed is None:
            return
        scope, request_id = claimed
        try:
            async with asyncio.timeout(self._settings.store_timeout_seconds):
                stored = captured(ctx, self._wall)
                if stored is None:
                    await self._store.release(scope, request_id, ctx.response_id)
                else:
                    window = self._settings.window_seconds
                    data = encode(stored)
                    await self._store.complete(scope, request_id, ctx.response_id, data, window)
        except Exception as error:  # the answer stands; a retry then runs again
            log.warning("idempotency store unavailable", error=type(error).__name__)
        finally:
            event = self._finished.pop(claimed, None)
            if event is not None:
                event.set()


__all__ = ["REUSED", "IdempotencySettings", "IdempotencyStep"]
