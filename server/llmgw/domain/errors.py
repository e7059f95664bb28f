"""The gateway's one exception tree and the one failure vocabulary.

::

    GatewayError                      public_message + metadata (safe to show callers)
    ├── InvalidRequestError           caller sent something invalid (field violations)
    │   └── ContextLengthExceededError
    ├── ModelNotFoundError            unknown model or alias
    ├── BackendNotFoundError          an admin call names a backend that does not exist
    ├── BackendExistsError            CreateBackend names a backend id already in use
    ├── RouteNotFoundError            an admin call names an alias that does not exist
    ├── BudgetNotFoundError           UpdateBudget names a missing budget (no allow_missing)
    ├── EtagMismatchError             the resource changed since the caller read it
    ├── NoEligibleBackendError        no target satisfies capability/context/cost needs
    ├── UnauthenticatedError          caller's own credential missing or invalid
    ├── PermissionDeniedError         caller may not do this
    ├── RateLimitedError              a gateway rate limit (retry after a delay)
    ├── BudgetExhaustedError          a hard budget is spent (no retry until reset)
    ├── UnimplementedError            a contract RPC this build does not serve yet
    ├── GatewayOverloadedError        shedding load or draining
    └── UpstreamError                 one upstream attempt failed; ``failure`` says how
        └── AllTargetsFailedError     every planned attempt failed (carries them all)

``FailureClass`` is assigned exactly once, by the adapter that saw the failure
(HTTP status first, then the vendor's error type/code, message text last).
Retry, fallback and circuit breaking read only the class, never the message.
Upstream response bodies never reach ``public_message``: they may echo
prompts or, for misconfigured proxies, credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class FailureClass(StrEnum):
    """How an upstream attempt failed; drives retry/fallback/breaker decisions."""

    CALLER_FAULT = "caller_fault"  # 400/404/413/422 caused by the request itself
    CONTEXT_LENGTH = "context_length"  # prompt too long for this model
    RATE_LIMIT = "rate_limit"  # 429: slow down, maybe retry-after
    QUOTA = "quota"  # 429 insufficient_quota / billing: this key is out of money
    CREDENTIAL = "credential"  # 401/403: the gateway's upstream key is bad
    OVERLOADED = "overloaded"  # 503 / Anthropic 529
    TRANSIENT = "transient"  # 5xx, connection reset/refused
    TIMEOUT = "timeout"  # attempt exceeded its time budget
    STREAM_INTERRUPTED = "stream_interrupted"  # stream ended without its terminal event
    PROTOCOL = "protocol"  # upstream answered something we cannot parse


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad field, path in proto field names (e.g. ``chat.messages``)."""

    field: str
    description: str
    reason: str = "INVALID"


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose.

    ``public_message`` is short, English and safe to return to callers;
    ``metadata`` repeats its dynamic values (lowerCamelCase keys).
    """

    def __init__(self, public_message: str, metadata: Mapping[str, str] | None = None) -> None:
        super().__init__(public_message)
        self.public_message = public_message
        self.metadata: dict[str, str] = dict(metadata or {})


class InvalidRequestError(GatewayError):
    """The request is invalid; one violation per bad field."""

    def __init__(self, violations: tuple[FieldViolation, ...]) -> None:
        first = violations[0].description if violations else "invalid request"
        field = violations[0].field if violations else ""
        message = f"Invalid request: {field}: {first}" if field else f"Invalid request: {first}"
        super().__init__(message)
        self.violations = violations


class ContextLengthExceededError(InvalidRequestError):
    """The prompt does not fit the model's context window."""

    def __init__(self, model: str, limit: int, count: int) -> None:
        super().__init__(
            (
                FieldViolation(
                    "chat.messages",
                    f"prompt of {count} tokens exceeds the {limit}-token context of {model}",
                    "CONTEXT_LENGTH_EXCEEDED",
                ),
            )
        )
        self.metadata.update(model=model, inputTokenLimit=str(limit), inputTokenCount=str(count))


class ModelNotFoundError(GatewayError):
    def __init__(self, model: str) -> None:
        super().__init__(
            f"Model {model!r} is not served by this gateway; call ListModels.", {"model": model}
        )
        self.model = model


class BackendNotFoundError(GatewayError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"Backend {name!r} is not configured; call AdminService.ListBackends.",
            {"backend": name},
        )
        self.backend = name


class BackendExistsError(GatewayError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"Backend {name!r} already exists; choose another backend_id or call UpdateBackend.",
            {"backend": name},
        )
        self.backend = name


class RouteNotFoundError(GatewayError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"Route {name!r} does not exist; call AdminService.ListRoutes.", {"route": name}
        )


class EtagMismatchError(GatewayError):
    def __init__(self, current: str) -> None:
        super().__init__(
            "The resource changed since it was read; read it again and retry.", {"etag": current}
        )


class NoEligibleBackendError(GatewayError):
    """No target has what the request needs; ``violations`` name why."""

    def __init__(self, model: str, violations: tuple[FieldViolation, ...]) -> None:
        why = "; ".join(v.description for v in violations) or "no eligible backend"
        super().__init__(f"No backend can serve {model!r}: {why}", {"model": model})
        self.violations = violations


class UnauthenticatedError(GatewayError):
    pass


class PermissionDeniedError(GatewayError):
    pass


class ScopeDeniedError(PermissionDeniedError):
    """The credential is valid but lacks the scope the method needs."""

    def __init__(self, method: str, needed: str) -> None:
        super().__init__(
            f"this credential may not call {method} (needs scope {needed})",
            {"method": method, "scope": needed},
        )


class BudgetNotFoundError(GatewayError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"Budget {name!r} does not exist; set allow_missing to create it.", {"budget": name}
        )


class ApiKeyNotFoundError(GatewayError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"API key {name!r} does not exist; call AdminService.ListApiKeys.", {"apiKey": name}
        )


class RateLimitedError(GatewayError):
    """A gateway-side limit; ``retry_after`` seconds until capacity frees."""

    def __init__(
        self, message: str, retry_after: float, subject: str, metadata: Mapping[str, str]
    ) -> None:
        super().__init__(message, metadata)
        self.retry_after = retry_after
        self.subject = subject


class BudgetExhaustedError(GatewayError):
    """A hard budget is spent; callers should not retry before ``reset_time``."""

    def __init__(self, message: str, subject: str, metadata: Mapping[str, str]) -> None:
        super().__init__(message, metadata)
        self.subject = subject


class UnimplementedError(GatewayError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is not implemented by this gateway version.", {"method": what})


class GatewayOverloadedError(GatewayError):
    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamError(GatewayError):
    """One failed upstream attempt, classified once by the adapter.

    ``detail`` is for server logs only (may hold upstream text); it is never
    sent to callers.
    """

    def __init__(
        self,
        backend: str,
        failure: FailureClass,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        detail: str = "",
        output_tokens: int = 0,
    ) -> None:
        super().__init__(_UPSTREAM_MESSAGES[failure].format(backend=backend), {"backend": backend})
        self.backend = backend
        self.failure = failure
        self.status = status
        self.retry_after = retry_after
        self.detail = detail
        self.output_tokens = output_tokens


class AllTargetsFailedError(UpstreamError):
    """Every attempt of the plan failed; the last attempt decides the status."""

    def __init__(self, model: str, attempts: tuple[UpstreamError, ...]) -> None:
        last = attempts[-1]
        super().__init__(
            last.backend,
            last.failure,
            status=last.status,
            retry_after=last.retry_after,
            detail=last.detail,
            output_tokens=last.output_tokens,
        )
        self.attempts = attempts
        self.metadata.update(model=model, triedBackends=",".join(a.backend for a in attempts))


_UPSTREAM_MESSAGES: dict[FailureClass, str] = {
    FailureClass.CALLER_FAULT: "Backend {backend} rejected the request as invalid.",
    FailureClass.CONTEXT_LENGTH: "The prompt is too long for the model on backend {backend}.",
    FailureClass.RATE_LIMIT: "Backend {backend} is rate limiting the gateway.",
    FailureClass.QUOTA: "The gateway's quota on backend {backend} is exhausted.",
    FailureClass.CREDENTIAL: "The gateway's credentials for backend {backend} were rejected.",
    FailureClass.OVERLOADED: "Backend {backend} is overloaded.",
    FailureClass.TRANSIENT: "Backend {backend} failed; retry later.",
    FailureClass.TIMEOUT: "Backend {backend} did not answer in time.",
    FailureClass.STREAM_INTERRUPTED: "The stream from backend {backend} was interrupted.",
    FailureClass.PROTOCOL: "Backend {backend} sent a response the gateway could not read.",
}
