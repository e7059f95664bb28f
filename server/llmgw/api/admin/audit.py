"""The admin plane's audit trail: record an action, list the rows.

``AuditTrail.record`` is awaited by every mutating admin RPC before it
answers: it appends the row (``storage.audit``, which redacts
before/after) and emits the same event as a structured log line
(``llmgw.audit``). The actor is the authenticated principal's ``subject``
(``anonymous`` until authentication is on), never a credential. Without a
store (tests building a bare servicer) only the log event is emitted.

``list_events`` serves ``AdminService.ListAuditEvents``: filters by time,
actor and action; newest first; ``page_size`` 0 = 50, at most 1000;
a negative size or a token this API did not issue is ``INVALID_ARGUMENT``
with a ``BadRequest`` naming the field.
"""

from __future__ import annotations

import orjson
from llmgateway.v1 import admin_service_pb2

from llmgw.api.checks import timestamp_ns
from llmgw.api.principal_context import current_principal
from llmgw.domain.errors import FieldViolation, InvalidRequestError
from llmgw.domain.ids import new_id
from llmgw.domain.redaction import redact
from llmgw.observability.logging import get_logger
from llmgw.storage.audit import (
    AuditEvent,
    AuditOutcome,
    AuditQuery,
    AuditStore,
    InvalidPageTokenError,
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_log = get_logger("llmgw.audit")
_pb = admin_service_pb2
_OUTCOMES = {
    AuditOutcome.SUCCESS: _pb.AUDIT_OUTCOME_SUCCESS,
    AuditOutcome.FAILURE: _pb.AUDIT_OUTCOME_FAILURE,
    AuditOutcome.DRY_RUN: _pb.AUDIT_OUTCOME_DRY_RUN,
}


def _with_extras(state: object, extra: dict[str, object]) -> object:
    """``state`` with the non-``None`` ``extra`` fields merged in (a non-dict
    state is kept under ``value``)."""
    extras = {k: v for k, v in extra.items() if v is not None}
    if not extras:
        return state
    if isinstance(state, dict):
        base: dict[str, object] = dict(state)
    else:
        base = {} if state is None else {"value": state}
    return {**base, **extras}


class AuditTrail:
    """Writes and reads audit rows (see the module docstring)."""

    def __init__(self, store: AuditStore | None) -> None:
        self._store = store

    async def record(
        self,
        action: str,
        target: str,
        outcome: str,
        *,
        before: object = None,
        after: object = None,
        reason: object = None,
        request_id: str = "",
        **extra: object,
    ) -> None:
        """Append the row (committed on return) and log it.

        ``before``/``after`` may be objects or JSON text; ``extra`` fields
        (error, mode, ttl_seconds, ...) are kept in ``after`` (``None``
        values dropped).
        """
        state_after = _with_extras(_state(after), extra)
        actor = current_principal().subject
        rid = request_id or new_id()
        kind = AuditOutcome(outcome)
        text = str(reason) if reason else ""
        if self._store is not None:
            await self._store.append(
                actor=actor,
                action=action,
                target=target,
                outcome=kind,
                before=_state(before),
                after=state_after,
                request_id=rid,
                reason=text,
            )
        _log.info(
            "audit",
            action=action,
            target=target,
            actor=actor,
            outcome=kind.value,
            request_id=rid,
            before=redact(_state(before)),
            after=redact(state_after),
            reason=redact(text) or None,
        )

    async def list_events(
        self, request: admin_service_pb2.ListAuditEventsRequest
    ) -> admin_service_pb2.ListAuditEventsResponse:
        if request.page_size < 0:
            raise _bad("page_size", "must be >= 0", "VALUE_OUT_OF_RANGE")
        if request.page_size > MAX_PAGE_SIZE:
            raise _bad("page_size", f"must be at most {MAX_PAGE_SIZE}", "VALUE_OUT_OF_RANGE")
        size = request.page_size or DEFAULT_PAGE_SIZE
        query = AuditQuery(
            start_ns=(
                timestamp_ns(request.start_time, "start_time")
                if request.HasField("start_time")
                else None
            ),
            end_ns=(
                timestamp_ns(request.end_time, "end_time") if request.HasField("end_time") else None
            ),
            actor=request.actor,
            action=request.action,
        )
        if self._store is None:
            return _pb.ListAuditEventsResponse()
        try:
            events, token = await self._store.list(query, size, request.page_token)
        except InvalidPageTokenError:
            raise _bad("page_token", "is not a token from this API", "INVALID_PAGE_TOKEN") from None
        return _pb.ListAuditEventsResponse(
            events=[_message(e) for e in events], next_page_token=token
        )


def _state(value: object) -> object:
    """JSON text (as other admin handlers pass it) parsed back into data."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    if value == "":
        return None
    return value


def _message(event: AuditEvent) -> admin_service_pb2.AuditEvent:
    message = _pb.AuditEvent(
        name=f"auditEvents/{event.id}",
        actor=event.actor,
        action=event.action,
        target=event.target,
        before_json=event.before_json,
        after_json=event.after_json,
        request_id=event.request_id,
        outcome=_OUTCOMES[event.outcome],
        reason=event.reason,
    )
    message.create_time.FromNanoseconds(event.create_time_ns)
    return message


def _bad(field: str, description: str, reason: str) -> InvalidRequestError:
    return InvalidRequestError((FieldViolation(field, description, reason),))


__all__ = [
    "AuditTrail",
]
