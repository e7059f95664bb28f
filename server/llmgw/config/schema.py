"""The configuration schema: pydantic models for the YAML file, strict (unknown
keys are errors) so a typo never passes silently. The security sections
(``auth:``, ``tls:``) live in ``schema_security`` and are re-exported here."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from llmgw.config.cache_schema import IdempotencyConfig, ResponseCacheConfig
from llmgw.config.schema_security import AuthConfig as AuthConfig
from llmgw.config.schema_security import JwtAlgorithm as JwtAlgorithm
from llmgw.config.schema_security import JwtConfig as JwtConfig
from llmgw.config.schema_security import TlsConfig as TlsConfig
from llmgw.config.schema_security import TlsIdentity as TlsIdentity
from llmgw.config.strict import Strict as _Strict
from llmgw.domain.backends import BackendKind
from llmgw.domain.backoff import BackoffShape
from llmgw.domain.credentials import DEFAULT_CREDENTIAL_ENV
from llmgw.domain.credentials import PATTERN as CREDENTIAL_ENV_PATTERN
from llmgw.domain.errors import FailureClass
from llmgw.domain.models import Capability


class ConfigError(Exception):
    """Invalid configuration; the message names the path of the bad field."""


class ModelConfig(_Strict):
    id: str = Field(min_length=1)
    upstream_id: str = ""
    type: Literal["chat", "embedding"] = "chat"
    display_name: str = ""
    capabilities: list[Capability] = Field(default_factory=list)
    context_window: int = Field(default=0, ge=0)
    max_output_tokens: int = Field(default=0, ge=0)
    max_batch_size: int = Field(default=0, ge=0)
    quality_tier: int = Field(default=0, ge=0)
    # Equivalence group (e.g. "fast"): FALLBACK_MODE_EQUIVALENT falls back only
    # to models of the route sharing the first target's tier.
    tier: str = Field(default="", pattern=r"^[A-Za-z0-9_.-]{0,64}$")


class RetryConfig(_Strict):
    """Backoff shape and which failure classes retry how often (``per_class``:
    failure class -> retries of one target; when set, classes not named are not
    retried; ``caller_fault`` may not be named: it is never retried)."""

    initial_backoff_seconds: float = Field(default=1.0, ge=0)
    multiplier: float = Field(default=2.0, ge=1)
    max_backoff_seconds: float = Field(default=30.0, ge=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    shape: BackoffShape = BackoffShape.EXPONENTIAL
    per_class: dict[FailureClass, Annotated[int, Field(ge=0, le=10)]] = Field(
        default_factory=dict
    )

    @field_validator("per_class")
    @classmethod
    def _caller_fault_never_retries(
        cls, value: dict[FailureClass, int]
    ) -> dict[FailureClass, int]:
        if FailureClass.CALLER_FAULT in value:
            raise ValueError("caller_fault is never retried (the request itself is wrong)")
        return value


class BreakerConfig(_Strict):
    failure_threshold: int = Field(default=5, ge=1)
    failure_ratio: float = Field(default=0.5, gt=0, le=1)
    min_calls: int = Field(default=20, ge=1)
    window_seconds: float = Field(default=60.0, gt=0)
    cooldown_seconds: float = Field(default=5.0, gt=0)
    max_cooldown_seconds: float = Field(default=120.0, gt=0)
    half_open_probes: int = Field(default=1, ge=1)
    success_threshold: int = Field(default=2, ge=1)  # probes in a row that close it


class KeyConfig(_Strict):
    """One upstream key with its own limits (0 = unlimited)."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    api_key_env: str = ""
    api_key: str = Field(default="", repr=False)
    models: list[str] = Field(default_factory=list)
    rpm: int = Field(default=0, ge=0)
    input_tpm: int = Field(default=0, ge=0)
    output_tpm: int = Field(default=0, ge=0)


class BackendConfig(_Strict):
    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    kind: BackendKind
    preset: str = ""
    base_url: str = ""
    api_key_env: str = ""
    api_keys: list[str] = Field(default_factory=list, repr=False)
    models: list[ModelConfig] = Field(default_factory=list)
    request_timeout_seconds: float = Field(default=600.0, gt=0)
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    max_connections: int = Field(default=256, ge=1)
    api_version: str = ""
    retry: RetryConfig = Field(default_factory=RetryConfig)
    circuit_breaker: BreakerConfig = Field(default_factory=BreakerConfig)
    keys: list[KeyConfig] = Field(default_factory=list)
    # A stream with no first delta after this long is abandoned (retry/fallback);
    # 0 disables it (reasoning models may think for minutes before answering).
    first_token_timeout_seconds: float = Field(default=0.0, ge=0)
    # Cap on requests in flight (0 = none); local_first routing sends overflow to cloud.
    max_concurrent_requests: int = Field(default=0, ge=0)
    # Send the W3C trace context (traceparent) upstream when tracing is on;
    # unset: on for self-hosted presets (vllm, ollama), off for cloud APIs.
    propagate_trace_context: bool | None = None

    @field_validator("base_url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class PriceOverride(_Strict):
    input_per_million_tokens: Decimal = Field(ge=0)
    output_per_million_tokens: Decimal = Field(ge=0)
    cached_input_per_million_tokens: Decimal | None = Field(default=None, ge=0)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")


RoutingStrategyName = Literal[
    "", "balanced", "cost", "latency", "quality", "local_first", "capability"
]


class RoutingConfig(_Strict):
    """Default strategy per alias (a request's ``routing.strategy`` wins) and the
    share of latency-routed requests that explore a non-best target."""

    strategies: dict[str, RoutingStrategyName] = Field(default_factory=dict)
    latency_exploration: float = Field(default=0.05, ge=0, le=1)
    # Aliases whose requests move to the cheapest eligible target when a soft
    # budget of the caller is past downgrade_at_percent (RoutingOptions.
    # allow_downgrade overrides per request).
    allow_downgrade: list[str] = Field(default_factory=list)
    downgrade_at_percent: float = Field(default=75.0, gt=0)


class LedgerConfig(_Strict):
    """Where spend rows live. ``database_url`` (``LLMGW_DATABASE_URL``) empty =
    the embedded SQLite file ``sqlite_path``; a ``postgresql://`` URL = rows go
    through the local SQLite outbox ``outbox_path`` to PostgreSQL."""

    database_url: str = Field(default="", repr=False)
    sqlite_path: str = "data/llmgw.sqlite3"
    outbox_path: str = "data/llmgw-outbox.sqlite3"
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    relay_interval_seconds: float = Field(default=0.2, gt=0)
    # SQLite durability of the ledger/outbox: NORMAL (WAL) survives a process
    # crash (kill -9); FULL also survives power loss, at one fsync per batch.
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"


class BudgetEntry(_Strict):
    """One budget in the file; ``limit`` in currency units (exact decimal)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    scope: Literal["global", "tenant", "project", "user", "api_key"] = "global"
    value: str = ""  # the tenant / project / user / key id (empty for global)
    limit: Decimal = Field(ge=0)
    period: Literal["daily", "weekly", "monthly", "total"] = "monthly"
    enforcement: Literal["hard", "soft", "downgrade"] = "hard"
    thresholds: list[int] = Field(default_factory=lambda: [75, 90, 100])
    time_zone: str = "UTC"
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")


class BudgetConfig(_Strict):
    """Budgets from config (the admin plane adds and changes more).

    ``global_limit`` (``BUDGET_LIMIT``) is a hard monthly budget on the whole
    gateway. ``webhook_url`` receives threshold alerts. Reservations are upper
    bounds: ``default_max_output_tokens`` when neither request nor model caps
    output, ``unpriced_reservation`` for a model with no known price (and what
    its requests are charged). ``vllm_hourly_rate`` (``VLLM_HOURLY_RATE``)
    prices self-hosted vLLM by uptime; ``fixed_cost_budgets`` names the
    budgets whose spend includes those hours (percentage, alerts, limit).
    """

    global_limit: Decimal | None = Field(default=None, ge=0)
    global_period: Literal["daily", "weekly", "monthly", "total"] = "monthly"
    time_zone: str = "UTC"
    budgets: list[BudgetEntry] = Field(default_factory=list)
    webhook_url: str = Field(default="", repr=False)
    default_max_output_tokens: int = Field(default=4096, ge=1)
    unpriced_reservation: Decimal = Field(default=Decimal("0.01"), ge=0)
    vllm_hourly_rate: Decimal = Field(default=Decimal("0.16"), ge=0)
    fixed_cost_budgets: list[str] = Field(default_factory=lambda: ["global"])
    refresh_seconds: float = Field(default=5.0, gt=0)


class LimitSet(_Strict):
    """Requests and tokens per minute, hour and day, and a burst allowance
    (requests at once, paced at ``rpm``; needs ``rpm``). 0 = unlimited."""

    rpm: int = Field(default=0, ge=0)
    input_tpm: int = Field(default=0, ge=0)
    output_tpm: int = Field(default=0, ge=0)
    rph: int = Field(default=0, ge=0)
    input_tph: int = Field(default=0, ge=0)
    output_tph: int = Field(default=0, ge=0)
    rpd: int = Field(default=0, ge=0)
    input_tpd: int = Field(default=0, ge=0)
    output_tpd: int = Field(default=0, ge=0)
    burst: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _burst_needs_a_pace(self) -> LimitSet:
        if self.burst and not self.rpm:
            raise ValueError("burst needs rpm (the pace the burst allowance refills at)")
        return self


class RateLimitConfig(_Strict):
    """Caller limits and request-size limits (0 = unlimited everywhere).

    ``tenant`` applies to every tenant without an entry in ``tenants``;
    ``user`` to every end user (per tenant); ``key`` to every API key without
    an entry in ``keys`` (by key id); a key record's own per-minute limits
    replace the configured per-minute ones. ``max_concurrent_streams`` caps
    open StreamChat calls per tenant;
    ``stream_slot_ttl_seconds`` is how long a slot may outlive a crashed
    replica (Redis). ``max_embedding_batch`` 0 defers to the top-level
    ``max_embedding_batch``. ``fail_open``: when the counter store (Redis) is
    unreachable, admit requests unlimited instead of answering ``UNAVAILABLE``
    (the default; logged and counted either way).
    """

    tenant: LimitSet = Field(default_factory=LimitSet)
    user: LimitSet = Field(default_factory=LimitSet)
    tenants: dict[str, LimitSet] = Field(default_factory=dict)
    key: LimitSet = Field(default_factory=LimitSet)
    keys: dict[str, LimitSet] = Field(default_factory=dict)
    max_concurrent_streams: int = Field(default=0, ge=0)
    stream_slot_ttl_seconds: float = Field(default=900.0, gt=0)
    fail_open: bool = False
    max_messages: int = Field(default=10_000, ge=1)
    max_total_characters: int = Field(default=0, ge=0)
    max_output_tokens: int = Field(default=0, ge=0)
    max_embedding_batch: int = Field(default=0, ge=0)


class EndpointPolicyConfig(_Strict):
    """What backend endpoints the admin plane may point at (SSRF guard).

    ``allowed_hosts`` non-empty: only these hosts (exact, or ``.suffix`` for
    a domain and its subdomains). ``deny_cidrs`` add to the built-in deny list
    (link-local, cloud metadata, unspecified). ``allow_private`` false also
    refuses loopback, RFC 1918, CGNAT and IPv6 ULA addresses (default true:
    backends are usually cluster-internal). ``credential_env``: the variables
    ``CreateBackend``'s ``credential_ref: env://NAME`` may read (exact names,
    or ``PREFIX*``); ``LLMGW_*`` and the JWT secret's variable never
    (``llmgw.domain.credentials``).
    """

    allowed_hosts: list[str] = Field(default_factory=list)
    deny_cidrs: list[str] = Field(default_factory=list)
    allow_private: bool = True
    credential_env: list[str] = Field(default_factory=lambda: list(DEFAULT_CREDENTIAL_ENV))

    @field_validator("credential_env")
    @classmethod
    def _env_patterns(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not CREDENTIAL_ENV_PATTERN.fullmatch(p)]
        if bad:
            raise ValueError(f"not a variable name or PREFIX*: {bad}")
        return value

    @field_validator("deny_cidrs")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)  # ValueError names the bad one
        return value


# Readiness delay before draining on a non-loopback listener when
# ``shutdown_delay_seconds`` is not set (endpoint removal takes a few seconds
# to reach kube-proxy and client-side balancers).
DEFAULT_EXPOSED_SHUTDOWN_DELAY = 5.0

class PipelineConfig(_Strict):
    """Operator steps added to every data-plane call's chain (``pipeline.chain``):
    ``"package.module:StepClass"`` paths, constructed without arguments, run in
    this order after admission and before the budget reservation. Steps of the
    ``llmgw.pipeline_steps`` entry-point group run after these."""

    steps: list[str] = Field(default_factory=list)
    entry_points: bool = True  # also load the ``llmgw.pipeline_steps`` group

    @field_validator("steps")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for path in value:
            module, _, name = path.partition(":")
            if not module or not name:
                raise ValueError(f"{path!r} is not 'package.module:StepClass'")
        return value


class ObservabilityConfig(_Strict):
    """Metrics, request logs and tracing (README "Observability"). Tracing is
    configured with the standard ``OTEL_*`` variables, not here."""

    # Prometheus ``/metrics`` listener (``--metrics-listen``); "" turns it off.
    metrics_listen: str = "127.0.0.1:9464"
    # ``tenant`` label on cost and refusal counters (off: one series per model/backend).
    tenant_labels: bool = True
    # Share of successful requests that get an outcome log line (failures always do).
    success_log_sample: float = Field(default=1.0, ge=0, le=1)
    # Log prompts and answers in the outcome line (off: never logged).
    log_content: bool = False
    # How often breakers, budgets, the ledger outbox and probes are sampled into
    # gauges, and GetMetrics' window snapshots are taken.
    sample_interval_seconds: float = Field(default=5.0, gt=0)


class Settings(_Strict):
    """The whole configuration (``llmgw serve --config FILE``).

    Shutdown (SIGTERM): readiness goes NOT_SERVING at once, the servers keep
    accepting for ``shutdown_delay_seconds`` (unset: 0 when both listeners
    are loopback, else 5 s), then in-flight calls and streams get
    ``shutdown_grace_seconds`` (default 120 s: long LLM streams finish) to
    end. ``required_backends`` (or ``LLMGW_REQUIRED_BACKENDS``, comma-separated,
    when the file sets none) must pass their probe (every
    ``readiness_interval_seconds``) before readiness is SERVING.
    """

    listen: str = "127.0.0.1:50051"
    admin_listen: str = "127.0.0.1:50052"
    shutdown_delay_seconds: float | None = Field(default=None, ge=0)
    shutdown_grace_seconds: float = Field(default=120.0, ge=0)
    required_backends: list[str] = Field(default_factory=list)
    readiness_interval_seconds: float = Field(default=2.0, gt=0)
    tls: TlsConfig = Field(default_factory=TlsConfig)
    default_deadline_seconds: float = Field(default=600.0, gt=0)
    max_receive_message_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    max_send_message_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    max_embedding_batch: int = Field(default=256, ge=1)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    demo_enabled: bool = True
    backends: list[BackendConfig] = Field(default_factory=list)
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    prices: dict[str, PriceOverride] = Field(default_factory=dict)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    # Zero-token health probes of every backend (0 disables them).
    probe_interval_seconds: float = Field(default=30.0, ge=0)
    # Shared counters (per-key limits) across replicas; LLMGW_REDIS_URL sets it.
    redis_url: str = Field(default="", repr=False)
    # Prefix of every Redis key this gateway writes (tests isolate by it).
    redis_prefix: str = "llmgw:"
    ledger: LedgerConfig = Field(default_factory=LedgerConfig)
    budgets: BudgetConfig = Field(default_factory=BudgetConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    rate_limits: RateLimitConfig = Field(default_factory=RateLimitConfig)
    endpoints: EndpointPolicyConfig = Field(default_factory=EndpointPolicyConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    idempotency: IdempotencyConfig = Field(default_factory=IdempotencyConfig)
    cache: ResponseCacheConfig = Field(default_factory=ResponseCacheConfig)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
