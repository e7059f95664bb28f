"""``AdminService.ExplainRoute``: proto in, ``control.route_explain`` out.

The chat request is converted exactly as ``GatewayService.Chat`` converts it
(``api.convert.chat_request``); nothing is sent upstream, billed, counted
against a limit or audited (it changes nothing). Ineligible targets answer
in the list with their failed check; a model nobody serves is ``NOT_FOUND``
as on the data plane.
"""

from __future__ import annotations

from llmgateway.v1 import admin_service_pb2

from llmgw.api import convert
from llmgw.api.admin.breakers import CIRCUITS
from llmgw.api.validation import check_chat
from llmgw.control.route_explain import RouteExplainer, TargetVerdict
from llmgw.pipeline.gateway import Gateway

_pb = admin_service_pb2


def explainer(gateway: Gateway) -> RouteExplainer:
    """The explainer over the gateway's own planner, breakers and key pools."""
    return RouteExplainer(gateway.planner, gateway.attempts.breakers, gateway.key_pools)


async def explain_route(
    explainer: RouteExplainer, request: admin_service_pb2.ExplainRouteRequest
) -> admin_service_pb2.ExplainRouteResponse:
    check_chat(request.chat, "chat.")  # the same rules as Chat (BadRequest per field)
    found = await explainer.explain(convert.chat_request(request.chat))
    return _pb.ExplainRouteResponse(
        alias=found.alias,
        strategy=found.strategy,
        estimated_input_token_count=found.input_tokens,
        candidates=[_candidate(v) for v in found.targets],
    )


def _candidate(verdict: TargetVerdict) -> admin_service_pb2.RouteCandidate:
    target = verdict.target
    out = _pb.RouteCandidate(
        backend=f"backends/{target.backend}",
        model_id=target.model.id,
        eligible=verdict.eligible,
        position=verdict.position,
        checks=[
            _pb.RouteCheck(check=c.name, passed=c.passed, detail=c.detail) for c in verdict.checks
        ],
        score=verdict.score if verdict.score is not None else 0.0,
        circuit_state=CIRCUITS[verdict.circuit],
    )
    if verdict.cost_nanos is not None:
        convert.fill_money(out.estimated_cost, verdict.cost_nanos, "USD")
    return out


__all__ = ["explain_route", "explainer"]
