"""The configuration schema: pydantic models for the YAML file, strict (unknown
keys are errors) so a typo never passes silently."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from llmgw.domain.backends import BackendKind
from llmgw.domain.models import Capability


class ConfigError(Exception):
    """Invalid configuration; the message names the path of the bad field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class RetryConfig(_Strict):
    initial_backoff_seconds: float = Field(default=1.0, ge=0)
    multiplier: float = Field(default=2.0, ge=1)
    max_backoff_seconds: float = Field(default=30.0, ge=0)
    max_retries: int = Field(default=3, ge=0, le=10)


class BreakerConfig(_Strict):
    failure_threshold: int = Field(default=5, ge=1)
    failure_ratio: float = Field(default=0.5, gt=0, le=1)
    min_calls: int = Field(default=20, ge=1)
    window_seconds: float = Field(default=60.0, gt=0)
    cooldown_seconds: float = Field(default=5.0, gt=0)
    max_cooldown_seconds: float = Field(default=120.0, gt=0)
    half_open_probes: int = Field(default=1, ge=1)


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
    prices self-hosted vLLM by uptime.
    """

    global_limit: Decimal | None = Field(default=None, ge=0)
    global_period: Literal["daily", "weekly", "monthly", "total"] = "monthly"
    time_zone: str = "UTC"
    budgets: list[BudgetEntry] = Field(default_factory=list)
    webhook_url: str = Field(default="", repr=False)
    default_max_output_tokens: int = Field(default=4096, ge=1)
    unpriced_reservation: Decimal = Field(default=Decimal("0.01"), ge=0)
    vllm_hourly_rate: Decimal = Field(default=Decimal("0.16"), ge=0)
    refresh_seconds: float = Field(default=5.0, gt=0)


JwtAlgorithm = Literal[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
    "HS256", "HS384", "HS512",
]
_HMAC = {"HS256", "HS384", "HS512"}


class JwtConfig(_Strict):
    """JWT bearer tokens; configured when ``issuer`` is set. ``audience`` and a
    key source are then required: ``jwks_url`` (fetched in the background) or
    ``public_key_file`` (PEM) for public-key algorithms, ``secret_env`` (the
    env var holding the HMAC secret) for HS*. Mixing HS* with public-key
    algorithms is refused (HS/RS confusion)."""

    issuer: str = ""
    audience: str = ""
    algorithms: list[JwtAlgorithm] = Field(default_factory=lambda: ["RS256"], min_length=1)  # type: ignore[arg-type]
    jwks_url: str = ""
    jwks_refresh_seconds: float = Field(default=300.0, gt=0)
    public_key_file: str = ""
    secret_env: str = ""
    leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    admin_role_claim: str = "roles"
    admin_role: str = "admin"
    scope_claim: str = "scope"
    tenant_claim: str = "tenant"
    project_claim: str = "project"

    @model_validator(mode="after")
    def _consistent(self) -> JwtConfig:
        if not self.issuer:
            return self
        hmac = set(self.algorithms) & _HMAC
        if not self.audience:
            raise ValueError("auth.jwt.audience is required when issuer is set")
        if hmac and len(hmac) != len(set(self.algorithms)):
            raise ValueError("auth.jwt.algorithms: do not mix HS* with public-key algorithms")
        if hmac and not self.secret_env:
            raise ValueError("auth.jwt.secret_env is required for HS* algorithms")
        if not hmac and not (self.jwks_url or self.public_key_file):
            raise ValueError("auth.jwt: set jwks_url or public_key_file")
        if self.jwks_url and not self.jwks_url.startswith(("https://", "http://")):
            raise ValueError("auth.jwt.jwks_url must be an http(s) URL")
        return self


class AuthConfig(_Strict):
    """Caller authentication (API keys, JWT).

    On when ``enabled`` is true, a bootstrap admin key is given
    (``LLMGW_ADMIN_KEY`` / ``LLMGW_ADMIN_KEY_FILE``) or ``jwt.issuer`` is set;
    otherwise off, which ``llmgw serve`` allows only on loopback addresses
    (or with ``--insecure-no-auth``). ``key_cache_ttl_seconds`` bounds how
    long another replica keeps accepting a revoked or rotated-out key.
    """

    enabled: bool = False
    bootstrap_admin_key: SecretStr = Field(default=SecretStr(""), repr=False)
    key_cache_ttl_seconds: float = Field(default=5.0, ge=0, le=300)
    jwt: JwtConfig = Field(default_factory=JwtConfig)

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value().strip()) < 32:
            raise ValueError("the bootstrap admin key must be at least 32 characters")
        return SecretStr(value.get_secret_value().strip())

    @property
    def active(self) -> bool:
        return self.enabled or bool(self.bootstrap_admin_key.get_secret_value()) or bool(
            self.jwt.issuer
        )


class LimitSet(_Strict):
    """Requests and tokens per minute (0 = unlimited)."""

    rpm: int = Field(default=0, ge=0)
    input_tpm: int = Field(default=0, ge=0)
    output_tpm: int = Field(default=0, ge=0)


class RateLimitConfig(_Strict):
    """Caller limits and request-size limits (0 = unlimited everywhere).

    ``tenant`` applies to every tenant without an entry in ``tenants``;
    ``user`` to every end user (per tenant). Per-key limits live on the key
    record. ``max_concurrent_streams`` caps open StreamChat calls per tenant;
    ``stream_slot_ttl_seconds`` is how long a slot may outlive a crashed
    replica (Redis). ``max_embedding_batch`` 0 defers to the top-level
    ``max_embedding_batch``.
    """

    tenant: LimitSet = Field(default_factory=LimitSet)
    user: LimitSet = Field(default_factory=LimitSet)
    tenants: dict[str, LimitSet] = Field(default_factory=dict)
    max_concurrent_streams: int = Field(default=0, ge=0)
    stream_slot_ttl_seconds: float = Field(default=900.0, gt=0)
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
    backends are usually cluster-internal).
    """

    allowed_hosts: list[str] = Field(default_factory=list)
    deny_cidrs: list[str] = Field(default_factory=list)
    allow_private: bool = True

    @field_validator("deny_cidrs")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)  # ValueError names the bad one
        return value


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
    """The whole configuration (``llmgw serve --config FILE``)."""

    listen: str = "127.0.0.1:50051"
    admin_listen: str = "127.0.0.1:50052"
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
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
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
