"""A small async client of the data plane for the ``llmgw`` CLI.

It lives in ``api/`` because only this package speaks gRPC; the CLI receives
plain Python values (``ChatPiece`` / ``ChatSummary`` / ``ModelRow``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import grpc
from llmgateway.v1 import (
    content_pb2,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    generation_pb2,
    routing_pb2,
)

from llmgw.cli.rpc_errors import DATA, CallError, call_error, closest

__all__ = ["CallError", "ChatSummary", "ModelRow", "list_models", "stream_chat", "suggest"]


@dataclass(frozen=True, slots=True)
class ChatSummary:
    """End of a streamed answer: usage, cost (nanos) and where it was served."""

    input_tokens: int
    output_tokens: int
    cost_nanos: int
    currency: str
    cost_estimated: bool
    model: str
    backend: str
    finish_reason: str


@dataclass(frozen=True, slots=True)
class ModelRow:
    id: str
    display_name: str
    type: str
    aliases: tuple[str, ...]
    input_per_million: str
    output_per_million: str
    context_window: int = 0
    max_output_tokens: int = 0
    capabilities: tuple[str, ...] = ()


def bearer(key: str) -> tuple[tuple[str, str], ...]:
    """``authorization: Bearer <key>`` metadata, or none without a key."""
    return (("authorization", f"Bearer {key}"),) if key else ()


def _money_nanos(units: int, nanos: int) -> int:
    return units * 1_000_000_000 + nanos


async def stream_chat(
    address: str,
    model: str,
    prompt: str,
    *,
    system: str = "",
    max_output_tokens: int | None = None,
    temperature: float | None = None,
    deadline_seconds: float = 600.0,
    key: str = "",
) -> AsyncIterator[str | ChatSummary]:
    """Yield text deltas as they arrive, then one ``ChatSummary``.

    Raises ``CallError`` when the gateway answers with an error.
    """
    messages = []
    if system:
        messages.append(_message(content_pb2.ROLE_SYSTEM, system))
    messages.append(_message(content_pb2.ROLE_USER, prompt))
    config = generation_pb2.GenerationConfig()
    if max_output_tokens is not None:
        config.max_output_tokens = max_output_tokens
    if temperature is not None:
        config.temperature = temperature
    request = gateway_service_pb2.StreamChatRequest(
        chat=gateway_service_pb2.ChatRequest(
            model=model, messages=messages, generation_config=config
        )
    )
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            async for event in stub.StreamChat(
                request, timeout=deadline_seconds, metadata=bearer(key)
            ):
                kind = event.WhichOneof("event")
                if kind == "delta" and event.delta.WhichOneof("content") == "text":
                    yield event.delta.text
                elif kind == "final":
                    yield _summary(event.final)
    except grpc.aio.AioRpcError as exc:
        raise call_error(exc, address, DATA) from exc


def _message(role: int, text: str) -> content_pb2.Message:
    return content_pb2.Message(role=role, parts=[content_pb2.Part(text=text)])  # type: ignore[arg-type]


def _summary(final: gateway_service_pb2.StreamFinal) -> ChatSummary:
    total = final.cost.total
    reason = (
        generation_pb2.FinishReason.Name(final.candidates[0].finish_reason)
        if final.candidates
        else ""
    )
    return ChatSummary(
        input_tokens=final.usage.input_token_count,
        output_tokens=final.usage.output_token_count,
        cost_nanos=_money_nanos(total.units, total.nanos),
        currency=total.currency_code or "USD",
        cost_estimated=final.cost.estimated,
        model=final.route.model,
        backend=final.route.backend,
        finish_reason=reason.removeprefix("FINISH_REASON_").lower(),
    )


async def list_models(
    address: str, deadline_seconds: float = 30.0, key: str = ""
) -> list[ModelRow]:
    """All models the gateway serves (follows pagination)."""
    try:
        return await _list_models(address, deadline_seconds, key)
    except grpc.aio.AioRpcError as exc:
        raise call_error(exc, address, DATA) from exc


async def _list_models(address: str, deadline_seconds: float, key: str) -> list[ModelRow]:
    rows: list[ModelRow] = []
    token = ""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        while True:
            page = await stub.ListModels(
                gateway_service_pb2.ListModelsRequest(page_size=1000, page_token=token),
                timeout=deadline_seconds,
                metadata=bearer(key),
            )
            rows.extend(_row(m) for m in page.models)
            token = page.next_page_token
            if not token:
                return rows


def _row(model: gateway_service_pb2.Model) -> ModelRow:
    def per_million(money: object) -> str:
        if not model.HasField("pricing"):
            return "unpriced"
        units, nanos = getattr(money, "units", 0), getattr(money, "nanos", 0)
        return _decimal_text(_money_nanos(units, nanos))

    return ModelRow(
        id=model.id,
        display_name=model.display_name,
        type=gateway_service_pb2.ModelType.Name(model.type).removeprefix("MODEL_TYPE_").lower(),
        aliases=tuple(model.aliases),
        input_per_million=per_million(model.pricing.input_per_million_tokens),
        output_per_million=per_million(model.pricing.output_per_million_tokens),
        context_window=model.input_token_limit,
        max_output_tokens=model.output_token_limit,
        capabilities=tuple(
            routing_pb2.Capability.Name(c).removeprefix("CAPABILITY_").lower()
            for c in model.capabilities
        ),
    )


def _decimal_text(nanos: int) -> str:
    """Exact decimal text of an amount in nanos (no float on money)."""
    return format((Decimal(nanos) / Decimal(1_000_000_000)).normalize(), "f")


async def suggest(address: str, model: str, key: str = "") -> list[str]:
    """Served model ids and aliases closest to ``model`` (none if listing fails)."""
    try:
        rows = await list_models(address, key=key)
    except CallError:
        return []
    return closest(model, {name for row in rows for name in (row.id, *row.aliases)})


@dataclass(frozen=True, slots=True)
class RouteRow:
    """One target of ``llmgw route explain`` (``AdminService.ExplainRoute``)."""

    position: int  # 0 = not eligible
    backend: str
    model: str
    cost: str  # exact decimal, "unpriced" or "-" (not assessed)
    score: float
    circuit: str
    checks: tuple[tuple[str, bool, str], ...]  # (check, passed, detail)


async def explain_route(
    admin: str, model: str, prompt: str, key: str = "", deadline_seconds: float = 30.0
) -> tuple[str, str, int, list[RouteRow]]:
    """``(alias, strategy, estimated input tokens, rows)`` of a chat request's route."""
    from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc

    request = admin_service_pb2.ExplainRouteRequest(
        chat=gateway_service_pb2.ChatRequest(
            model=model, messages=[_message(content_pb2.ROLE_USER, prompt)]
        )
    )
    try:
        async with grpc.aio.insecure_channel(admin) as channel:
            stub = admin_service_pb2_grpc.AdminServiceStub(channel)
            reply = await stub.ExplainRoute(
                request, timeout=deadline_seconds, metadata=bearer(key)
            )
    except grpc.aio.AioRpcError as exc:
        raise CallError(exc.code().name, exc.details() or "") from exc
    circuits = admin_service_pb2.CircuitState
    rows = [
        RouteRow(
            c.position,
            c.backend.removeprefix("backends/"),
            c.model_id,
            _decimal_text(_money_nanos(c.estimated_cost.units, c.estimated_cost.nanos))
            if c.HasField("estimated_cost")
            else ("unpriced" if c.eligible else "-"),
            c.score,
            circuits.Name(c.circuit_state).removeprefix("CIRCUIT_STATE_").lower(),
            tuple((k.check, k.passed, k.detail) for k in c.checks),
        )
        for c in reply.candidates
    ]
    return reply.alias, reply.strategy, reply.estimated_input_token_count, rows
