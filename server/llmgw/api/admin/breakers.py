"""``OpenCircuitBreaker`` / ``ResetCircuitBreaker``: the admin handlers.

Thin: parse the selection (``backends/{backend}``, optional model), run it
through ``control.breakers.BreakerControl`` and answer with the reports of the
breakers it changed. Both are audited before the answer: ``success`` with
the states before and after, ``failure`` with the public error (unknown
backend or model), the operator's ``reason`` kept in the row.
``fill_breaker_report`` is the one proto view of a breaker (also used by
``GetHealth``/``GetMetrics``).
"""

from __future__ import annotations

from typing import Literal

from llmgateway.v1 import admin_service_pb2

from llmgw.api.admin.audit import AuditTrail
from llmgw.control.breakers import BreakerControl
from llmgw.domain.errors import GatewayError
from llmgw.pipeline.breaker import BreakerSnapshot, BreakerState
from llmgw.pipeline.gateway import Gateway

_pb = admin_service_pb2
CIRCUITS = {
    BreakerState.CLOSED: _pb.CIRCUIT_STATE_CLOSED,
    BreakerState.OPEN: _pb.CIRCUIT_STATE_OPEN,
    BreakerState.HALF_OPEN: _pb.CIRCUIT_STATE_HALF_OPEN,
}
_Request = _pb.OpenCircuitBreakerRequest | _pb.ResetCircuitBreakerRequest


def fill_breaker_report(
    target: admin_service_pb2.CircuitBreakerReport, model: str, snapshot: BreakerSnapshot
) -> None:
    target.model = model
    target.state = CIRCUITS[snapshot.state]
    target.consecutive_failure_count = snapshot.consecutive_failures
    target.trip_count = snapshot.trips
    target.transition_count = snapshot.transitions
    target.rejected_count = snapshot.rejections
    target.forced_open = snapshot.forced
    if snapshot.retry_after:
        target.retry_after.FromNanoseconds(int(snapshot.retry_after * 1e9))


class BreakerAdmin:
    """The two breaker RPCs over the control layer, audited."""

    def __init__(self, control: BreakerControl, trail: AuditTrail) -> None:
        self._control = control
        self._trail = trail

    async def open(
        self, request: admin_service_pb2.OpenCircuitBreakerRequest
    ) -> admin_service_pb2.OpenCircuitBreakerResponse:
        reports = await self._change("OpenCircuitBreaker", request, "open")
        return _pb.OpenCircuitBreakerResponse(circuit_breakers=reports)

    async def reset(
        self, request: admin_service_pb2.ResetCircuitBreakerRequest
    ) -> admin_service_pb2.ResetCircuitBreakerResponse:
        reports = await self._change("ResetCircuitBreaker", request, "reset")
        return _pb.ResetCircuitBreakerResponse(circuit_breakers=reports)

    async def _change(
        self, action: str, request: _Request, how: Literal["open", "reset"]
    ) -> list[admin_service_pb2.CircuitBreakerReport]:
        backend = request.backend.removeprefix("backends/")
        target = f"backends/{backend}" + (f"/models/{request.model_id}" if request.model_id else "")
        reason = request.reason or None
        change = self._control.force_open if how == "open" else self._control.reset
        try:
            snapshots = change(backend, request.model_id)
        except GatewayError as failure:
            await self._trail.record(
                action, target, "failure", reason=reason, error=failure.public_message
            )
            raise
        await self._trail.record(
            action,
            target,
            "success",
            reason=reason,
            after={model: s.state.value for model, s in sorted(snapshots.items())},
        )
        reports = []
        for model, snapshot in sorted(snapshots.items()):
            report = _pb.CircuitBreakerReport()
            fill_breaker_report(report, model, snapshot)
            reports.append(report)
        return reports


def of(gateway: Gateway, trail: AuditTrail) -> BreakerAdmin:
    """The breaker RPCs over ``gateway``'s attempt loop and catalogue."""
    return BreakerAdmin(BreakerControl(gateway.attempts, gateway.catalog), trail)


__all__ = ["CIRCUITS", "BreakerAdmin", "fill_breaker_report", "of"]
