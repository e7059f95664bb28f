"""The one error -> gRPC status table (contract study section 3).

Every error the gateway returns is a ``google.rpc.Status`` whose details hold
an ``ErrorInfo`` (domain ``llmgateway.example.com``, a reason from the
``llmgateway.v1.ErrorReason`` enum without its prefix) and a ``RequestInfo``,
plus the detail the situation calls for (``BadRequest``, ``RetryInfo``,
``QuotaFailure``, ``PreconditionFailure``, ``ResourceInfo``). Messages are the
errors' ``public_message``: upstream bodies and credentials never get here.

``RULES`` covers every ``GatewayError`` subclass and ``UPSTREAM_RULES`` every
``FailureClass``; a test walks both trees so a new error cannot ship unmapped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message as ProtoMessage
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from llmgw.domain.errors import (
    ApiKeyNotFoundError,
    BackendExistsError,
    BackendNotFoundError,
    BudgetExhaustedError,
    BudgetNotFoundError,
    ContextLengthExceededError,
    EtagMismatchError,
    FailureClass,
    GatewayError,
    GatewayOverloadedError,
    InvalidRequestError,
    ModelNotFoundError,
    NoEligibleBackendError,
    PermissionDeniedError,
    RateLimitedError,
    RouteNotFoundError,
    ScopeDeniedError,
    UnauthenticatedError,
    UnimplementedError,
    UpstreamError,
)

DOMAIN = "llmgateway.example.com"
_DEFAULT_RETRY_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Rule:
    """Status code, ``ErrorInfo.reason`` and whether a ``RetryInfo`` is attached."""

    code: grpc.StatusCode
    reason: str
    retry_info: bool = False


RULES: dict[type[GatewayError], Rule] = {
    InvalidRequestError: Rule(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST"),
    ContextLengthExceededError: Rule(grpc.StatusCode.INVALID_ARGUMENT, "CONTEXT_LENGTH_EXCEEDED"),
    ModelNotFoundError: Rule(grpc.StatusCode.NOT_FOUND, "MODEL_NOT_FOUND"),
    BackendNotFoundError: Rule(grpc.StatusCode.NOT_FOUND, "BACKEND_NOT_FOUND"),
    BackendExistsError: Rule(grpc.StatusCode.ALREADY_EXISTS, "BACKEND_ALREADY_EXISTS"),
    RouteNotFoundError: Rule(grpc.StatusCode.NOT_FOUND, "ROUTE_NOT_FOUND"),
    EtagMismatchError: Rule(grpc.StatusCode.ABORTED, "ETAG_MISMATCH"),
    NoEligibleBackendError: Rule(grpc.StatusCode.FAILED_PRECONDITION, "NO_ELIGIBLE_BACKEND"),
    UnauthenticatedError: Rule(grpc.StatusCode.UNAUTHENTICATED, "API_KEY_INVALID"),
    PermissionDeniedError: Rule(grpc.StatusCode.PERMISSION_DENIED, "MODEL_ACCESS_DENIED"),
    ScopeDeniedError: Rule(grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED"),
    ApiKeyNotFoundError: Rule(grpc.StatusCode.NOT_FOUND, "API_KEY_NOT_FOUND"),
    BudgetNotFoundError: Rule(grpc.StatusCode.NOT_FOUND, "BUDGET_NOT_FOUND"),
    RateLimitedError: Rule(grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED", retry_info=True),
    BudgetExhaustedError: Rule(grpc.StatusCode.RESOURCE_EXHAUSTED, "BUDGET_EXHAUSTED"),
    UnimplementedError: Rule(grpc.StatusCode.UNIMPLEMENTED, "NOT_IMPLEMENTED"),
    GatewayOverloadedError: Rule(
        grpc.StatusCode.UNAVAILABLE, "GATEWAY_OVERLOADED", retry_info=True
    ),
}

UPSTREAM_RULES: dict[FailureClass, Rule] = {
    FailureClass.CALLER_FAULT: Rule(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST"),
    FailureClass.CONTEXT_LENGTH: Rule(grpc.StatusCode.INVALID_ARGUMENT, "CONTEXT_LENGTH_EXCEEDED"),
    FailureClass.RATE_LIMIT: Rule(
        grpc.StatusCode.RESOURCE_EXHAUSTED, "UPSTREAM_RATE_LIMITED", retry_info=True
    ),
    # The gateway's own provider account is out of credit: retrying will not help.
    FailureClass.QUOTA: Rule(grpc.StatusCode.RESOURCE_EXHAUSTED, "UPSTREAM_RATE_LIMITED"),
    # The gateway's key is bad: INTERNAL, never UNAUTHENTICATED (that would blame the caller).
    FailureClass.CREDENTIAL: Rule(grpc.StatusCode.INTERNAL, "UPSTREAM_AUTH_FAILED"),
    FailureClass.OVERLOADED: Rule(
        grpc.StatusCode.UNAVAILABLE, "BACKEND_OVERLOADED", retry_info=True
    ),
    FailureClass.TRANSIENT: Rule(
        grpc.StatusCode.UNAVAILABLE, "NO_HEALTHY_BACKEND", retry_info=True
    ),
    FailureClass.TIMEOUT: Rule(grpc.StatusCode.DEADLINE_EXCEEDED, "UPSTREAM_TIMEOUT"),
    FailureClass.STREAM_INTERRUPTED: Rule(
        grpc.StatusCode.UNAVAILABLE, "UPSTREAM_STREAM_INTERRUPTED", retry_info=True
    ),
    FailureClass.PROTOCOL: Rule(
        grpc.StatusCode.UNAVAILABLE, "UPSTREAM_PROTOCOL_ERROR", retry_info=True
    ),
}

INTERNAL_RULE = Rule(grpc.StatusCode.INTERNAL, "INTERNAL")
INTERNAL_MESSAGE = "Internal gateway error; report the request id to the operator."


def rule_for(error: BaseException) -> Rule:
    """The table row for ``error`` (most specific class wins)."""
    if isinstance(error, UpstreamError):
        return UPSTREAM_RULES[error.failure]
    for cls in type(error).__mro__:
        rule = RULES.get(cls)
        if rule is not None:
            return rule
    return INTERNAL_RULE


def to_status(error: BaseException, request_id: str) -> grpc.Status:
    """A rich ``grpc.Status`` for ``context.abort_with_status``."""
    rule = rule_for(error)
    if isinstance(error, GatewayError):
        message, metadata = error.public_message, dict(error.metadata)
    else:
        message, metadata = INTERNAL_MESSAGE, {}
    details: list[ProtoMessage] = [
        error_details_pb2.ErrorInfo(reason=rule.reason, domain=DOMAIN, metadata=metadata),
    ]
    details.extend(_specific_details(error))
    if rule.retry_info:
        details.append(error_details_pb2.RetryInfo(retry_delay=_duration(_retry_after(error))))
    if request_id:
        details.append(error_details_pb2.RequestInfo(request_id=request_id))
    status = status_pb2.Status(
        code=rule.code.value[0], message=message, details=[_pack(d) for d in details]
    )
    return rpc_status.to_status(status)


def _specific_details(error: BaseException) -> list[ProtoMessage]:
    if isinstance(error, InvalidRequestError):
        return [_bad_request((v.field, v.description, v.reason) for v in error.violations)]
    if isinstance(error, ModelNotFoundError):
        return [
            error_details_pb2.ResourceInfo(
                resource_type=f"{DOMAIN}/Model",
                resource_name=error.model,
                description="Call GatewayService.ListModels for the served models and aliases.",
            )
        ]
    if isinstance(error, NoEligibleBackendError):
        return [
            error_details_pb2.PreconditionFailure(
                violations=[
                    error_details_pb2.PreconditionFailure.Violation(
                        type=v.reason, subject=v.field, description=v.description
                    )
                    for v in error.violations
                ]
            )
        ]
    if isinstance(error, RateLimitedError | BudgetExhaustedError):
        return [
            error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(
                        subject=error.subject, description=error.public_message
                    )
                ]
            )
        ]
    if isinstance(error, UpstreamError) and error.failure is FailureClass.CALLER_FAULT:
        why = f"rejected by backend {error.backend}"
        return [_bad_request([("chat", why, "REJECTED_BY_BACKEND")])]
    return []


def _bad_request(violations: Iterable[tuple[str, str, str]]) -> error_details_pb2.BadRequest:
    """``BadRequest`` from (field, description, reason) triples."""
    return error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(
                field=field, description=description, reason=reason
            )
            for field, description, reason in violations
        ]
    )


def _retry_after(error: BaseException) -> float:
    value: float | None = None
    if isinstance(error, RateLimitedError | GatewayOverloadedError | UpstreamError):
        value = error.retry_after
    if value is None or not math.isfinite(value) or value < 0:
        return _DEFAULT_RETRY_SECONDS
    return value


def _duration(seconds: float) -> duration_pb2.Duration:
    whole = int(seconds)
    return duration_pb2.Duration(seconds=whole, nanos=round((seconds - whole) * 1e9))


def _pack(message: ProtoMessage) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


__all__ = ["RULES", "UPSTREAM_RULES", "Rule", "rule_for", "to_status"]
