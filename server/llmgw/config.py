"""Configuration: a YAML file validated with pydantic, plus the usual env vars.

This module and ``app.py`` are the only places that read files or the
environment. Everything else receives typed values.

Sources, later wins:

1. built-in defaults (the simulated ``demo`` backend is always present, so
   ``llmgw serve`` answers with no keys at all);
2. provider environment variables (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``,
   ``MISTRAL_API_KEY``, ``TOGETHER_API_KEY``, ``OPENROUTER_API_KEY``,
   ``OPENAI_BASE_URL``, ``ANTHROPIC_BASE_URL``, ``OLLAMA_BASE_URL``,
   ``VLLM_ENDPOINT``, ``VLLM_MODEL``): a provider whose key or endpoint is
   present is registered with its preset models;
3. the YAML file (``--config``): backends listed there replace the env-derived
   backend of the same name; aliases listed there replace the defaults.

Secrets are held as ``Secret`` and never printed. A file should reference keys
by env var name (``api_key_env``); literal ``api_keys`` are accepted for tests.
Errors name the path of the bad field, e.g. ``backends[0].kind``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from llmgw.domain.backends import ApiKey, BackendKind, BackendSpec
from llmgw.domain.budgets import Budget, BudgetScope, Enforcement, Period, ScopeKind
from llmgw.domain.jwt_policy import JwtPolicy
from llmgw.domain.models import Capability, ModelInfo, ModelType
from llmgw.domain.money import ModelPrice, decimal_to_nanos
from llmgw.domain.policies import BreakerPolicy, RetryPolicy
from llmgw.domain.secret import Secret
from llmgw.providers.presets import PRESETS, Preset


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


_BUDGET_ENV = (("global_limit", "BUDGET_LIMIT"), ("vllm_hourly_rate", "VLLM_HOURLY_RATE"))


def load_settings(path: Path | None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the YAML file (if any) and merge env-derived backends under it."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file {path}: top level must be a mapping")
        raw = loaded or {}
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from exc
    if env.get("LLMGW_REDIS_URL") and not settings.redis_url:
        settings = settings.model_copy(update={"redis_url": env["LLMGW_REDIS_URL"]})
    budget_env = {
        key: env[name]
        for key, name in _BUDGET_ENV
        if env.get(name)
    }
    if budget_env:
        try:
            budgets = BudgetConfig.model_validate({**settings.budgets.model_dump(), **budget_env})
        except ValidationError as exc:
            raise ConfigError(_describe(exc, None)) from exc
        settings = settings.model_copy(update={"budgets": budgets})
    settings = _with_admin_key(settings, env)
    if env.get("LLMGW_DATABASE_URL") and not settings.ledger.database_url:
        ledger = settings.ledger.model_copy(update={"database_url": env["LLMGW_DATABASE_URL"]})
        settings = settings.model_copy(update={"ledger": ledger})
    file_names = {b.name for b in settings.backends}
    from_env = [b for b in backends_from_env(env) if b.name not in file_names]
    return settings.model_copy(update={"backends": [*from_env, *settings.backends]})


def _with_admin_key(settings: Settings, env: Mapping[str, str]) -> Settings:
    """``LLMGW_ADMIN_KEY`` (or the file ``LLMGW_ADMIN_KEY_FILE`` names) as the
    bootstrap admin key, unless the config file set one."""
    if settings.auth.bootstrap_admin_key.get_secret_value():
        return settings
    value = env.get("LLMGW_ADMIN_KEY", "")
    if not value and env.get("LLMGW_ADMIN_KEY_FILE"):
        path = Path(env["LLMGW_ADMIN_KEY_FILE"])
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read LLMGW_ADMIN_KEY_FILE {path}: {exc.strerror}") from exc
    if not value:
        return settings
    try:
        auth = AuthConfig.model_validate(
            {**settings.auth.model_dump(), "bootstrap_admin_key": value}
        )
    except ValidationError as exc:
        raise ConfigError("LLMGW_ADMIN_KEY must be at least 32 characters") from exc
    return settings.model_copy(update={"auth": auth})


def jwt_secret(settings: Settings, env: Mapping[str, str] | None = None) -> str:
    """The HMAC secret for HS* JWTs (from ``auth.jwt.secret_env``), or ``""``."""
    env = os.environ if env is None else env
    name = settings.auth.jwt.secret_env
    value = env.get(name, "") if name else ""
    if name and len(value) < 32:
        raise ConfigError(f"auth.jwt.secret_env: {name} must hold at least 32 characters")
    return value


def jwt_policy(settings: Settings) -> JwtPolicy:
    """The domain view of ``auth.jwt`` (what the verifier enforces)."""
    jwt = settings.auth.jwt
    return JwtPolicy(
        issuer=jwt.issuer,
        audience=jwt.audience,
        algorithms=tuple(jwt.algorithms),
        leeway_seconds=jwt.leeway_seconds,
        admin_role_claim=jwt.admin_role_claim,
        admin_role=jwt.admin_role,
        scope_claim=jwt.scope_claim,
        tenant_claim=jwt.tenant_claim,
        project_claim=jwt.project_claim,
    )


def jwt_public_key(settings: Settings) -> str:
    """The PEM text of ``auth.jwt.public_key_file``, or ``""``."""
    path = settings.auth.jwt.public_key_file
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"auth.jwt.public_key_file {path}: {exc.strerror}") from exc


def _describe(exc: ValidationError, path: Path | None) -> str:
    where = f"config file {path}" if path else "configuration"
    lines = [f"{where} is invalid:"]
    for error in exc.errors():
        loc = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
        ).lstrip(".")
        lines.append(f"  {loc or '(root)'}: {error['msg']}")
    return "\n".join(lines)


def backends_from_env(env: Mapping[str, str]) -> list[BackendConfig]:
    """A backend per preset whose key (or endpoint) variable is set."""
    found: list[BackendConfig] = []
    for preset in PRESETS.values():
        key = env.get(preset.api_key_env, "") if preset.api_key_env else ""
        endpoint = env.get(preset.endpoint_env, "") if preset.endpoint_env else ""
        # Keyed providers register when their key is set (the endpoint variable
        # only moves them); local engines register when their endpoint is set.
        if not (key if preset.api_key_env else endpoint):
            continue
        models = [_model_config(m) for m in preset.models]
        if preset.model_env and env.get(preset.model_env):
            models = [ModelConfig(id=env[preset.model_env], capabilities=list(preset.capabilities))]
        found.append(
            BackendConfig(
                name=preset.name,
                kind=preset.kind,
                preset=preset.name,
                base_url=preset.endpoint(endpoint) if endpoint else preset.default_base_url,
                api_key_env=preset.api_key_env if key else "",
                models=models,
            )
        )
    return found


def _model_config(model: ModelInfo) -> ModelConfig:
    return ModelConfig(
        id=model.id,
        upstream_id=model.upstream_id,
        type="embedding" if model.type is ModelType.EMBEDDING else "chat",
        display_name=model.display_name,
        capabilities=sorted(model.capabilities),
        context_window=model.context_window,
        max_output_tokens=model.max_output_tokens,
        max_batch_size=model.max_batch_size,
        quality_tier=model.quality_tier,
    )


def backend_specs(settings: Settings, env: Mapping[str, str] | None = None) -> list[BackendSpec]:
    """Domain ``BackendSpec``s (keys resolved from env), demo backend first."""
    env = os.environ if env is None else env
    specs = [demo_spec()] if settings.demo_enabled else []
    for backend in settings.backends:
        keys = [Secret(k) for k in backend.api_keys]
        if backend.api_key_env and env.get(backend.api_key_env):
            keys.insert(0, Secret(env[backend.api_key_env]))
        preset = PRESETS.get(backend.preset or backend.name)
        limited = tuple(_api_key(backend, k, env) for k in backend.keys)
        if limited and not keys:
            keys = [k.secret for k in limited]
        specs.append(_spec(backend, tuple(keys), preset, limited))
    return specs


def _api_key(backend: BackendConfig, key: KeyConfig, env: Mapping[str, str]) -> ApiKey:
    value = env.get(key.api_key_env, "") if key.api_key_env else key.api_key
    if not value:
        raise ConfigError(
            f"backend {backend.name!r} key {key.id!r}: set api_key_env to a variable that holds it"
        )
    return ApiKey(
        id=key.id,
        secret=Secret(value),
        models=frozenset(key.models),
        rpm=key.rpm,
        input_tpm=key.input_tpm,
        output_tpm=key.output_tpm,
    )


def _spec(
    backend: BackendConfig,
    keys: tuple[Secret, ...],
    preset: Preset | None,
    limited: tuple[ApiKey, ...] = (),
) -> BackendSpec:
    base_url = backend.base_url or (preset.default_base_url if preset else "")
    if not base_url:
        raise ConfigError(f"backend {backend.name!r}: base_url is required")
    models = tuple(
        ModelInfo(
            id=m.id,
            backend=backend.name,
            upstream_id=m.upstream_id or m.id,
            type=ModelType(m.type),
            display_name=m.display_name or m.id,
            capabilities=frozenset(m.capabilities),
            context_window=m.context_window,
            max_output_tokens=m.max_output_tokens,
            max_batch_size=m.max_batch_size,
            quality_tier=m.quality_tier,
        )
        for m in backend.models
    )
    return BackendSpec(
        name=backend.name,
        kind=backend.kind,
        base_url=base_url.rstrip("/"),
        models=models,
        api_keys=keys,
        preset=backend.preset or (preset.name if preset else ""),
        request_timeout=backend.request_timeout_seconds,
        connect_timeout=backend.connect_timeout_seconds,
        max_connections=backend.max_connections,
        max_concurrent_requests=backend.max_concurrent_requests,
        first_token_timeout=backend.first_token_timeout_seconds,
        health_path=preset.health_path if preset else "",
        api_version=backend.api_version,
        keys=limited,
        retry=RetryPolicy(
            initial_backoff=backend.retry.initial_backoff_seconds,
            multiplier=backend.retry.multiplier,
            max_backoff=backend.retry.max_backoff_seconds,
            max_retries=backend.retry.max_retries,
        ),
        breaker=BreakerPolicy(
            failure_threshold=backend.circuit_breaker.failure_threshold,
            failure_ratio=backend.circuit_breaker.failure_ratio,
            min_calls=backend.circuit_breaker.min_calls,
            window=backend.circuit_breaker.window_seconds,
            cooldown=backend.circuit_breaker.cooldown_seconds,
            max_cooldown=backend.circuit_breaker.max_cooldown_seconds,
            half_open_probes=backend.circuit_breaker.half_open_probes,
        ),
    )


DEMO_BACKEND = "demo"
_DEMO_MODELS = (
    ModelInfo(
        id="demo-chat",
        backend=DEMO_BACKEND,
        upstream_id="demo-chat",
        display_name="Demo chat (simulated, canned answers)",
        capabilities=frozenset({Capability.STREAMING}),
        context_window=32_768,
        max_output_tokens=4_096,
        simulated=True,
    ),
    ModelInfo(
        id="demo-embedding",
        backend=DEMO_BACKEND,
        upstream_id="demo-embedding",
        type=ModelType.EMBEDDING,
        display_name="Demo embeddings (simulated, hash vectors)",
        capabilities=frozenset({Capability.EMBEDDINGS}),
        context_window=8_192,
        max_batch_size=256,
        simulated=True,
    ),
)


def demo_spec() -> BackendSpec:
    """The built-in simulated backend: no network, canned answers, clearly labelled."""
    return BackendSpec(
        name=DEMO_BACKEND, kind=BackendKind.DEMO, base_url="demo://local", models=_DEMO_MODELS
    )


# Alias -> ordered refs ("model" or "backend/model"). Refs to unregistered
# backends are skipped, so the same table serves every key combination.
_TIER_ALIASES: dict[str, tuple[str, ...]] = {
    "haiku": ("anthropic/claude-haiku-4-5",),
    "sonnet": ("anthropic/claude-sonnet-4-5",),
    "opus": ("anthropic/claude-opus-4-1",),
}
_DEFAULT_CHAIN = (
    "openai/gpt-4o-mini",
    "anthropic/claude-haiku-4-5",
    "vllm",
    "mistral/mistral-small-latest",
    "together",
    "openrouter",
    "ollama",
    "demo/demo-chat",
)
_DEFAULT_EMBEDDING_CHAIN = ("openai/text-embedding-3-small", "demo/demo-embedding")


def effective_aliases(settings: Settings, specs: list[BackendSpec]) -> dict[str, list[str]]:
    """Default aliases (haiku, sonnet, opus, qwen, default, embedding) under the
    file's. A bare backend name in a chain stands for that backend's first model."""
    first_model = {s.name: f"{s.name}/{s.models[0].id}" for s in specs if s.models}
    aliases = {name: list(refs) for name, refs in _TIER_ALIASES.items()}
    if "vllm" in first_model:
        aliases["qwen"] = [first_model["vllm"]]
    aliases["default"] = [first_model.get(r, r) for r in _DEFAULT_CHAIN]
    aliases["embedding"] = list(_DEFAULT_EMBEDDING_CHAIN)
    aliases.update(settings.aliases)
    return aliases


def price_overrides(settings: Settings) -> dict[str, ModelPrice]:
    """Config price overrides keyed ``backend/model`` or ``model``."""
    return {
        key: ModelPrice(
            input_per_mtok=p.input_per_million_tokens,
            output_per_mtok=p.output_per_million_tokens,
            cached_input_per_mtok=p.cached_input_per_million_tokens,
            currency=p.currency,
            version="config",
        )
        for key, p in settings.prices.items()
    }


def budget_definitions(settings: Settings) -> list[Budget]:
    """Domain budgets from the file, plus ``BUDGET_LIMIT`` as the hard budget
    named ``global`` on the whole gateway."""
    section = settings.budgets
    found: list[Budget] = []
    if section.global_limit is not None:
        found.append(
            Budget(
                name="global",
                scope=BudgetScope(ScopeKind.GLOBAL),
                limit_nanos=decimal_to_nanos(section.global_limit),
                period=Period(section.global_period),
                time_zone=section.time_zone,
            )
        )
    for entry in section.budgets:
        found.append(
            Budget(
                name=entry.name,
                scope=BudgetScope(ScopeKind(entry.scope), entry.value),
                limit_nanos=decimal_to_nanos(entry.limit),
                period=Period(entry.period),
                enforcement=Enforcement(entry.enforcement),
                thresholds=tuple(sorted(set(entry.thresholds))),
                time_zone=entry.time_zone,
                currency=entry.currency,
            )
        )
    return found
