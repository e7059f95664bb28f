"""Translation of validated settings into domain objects (backend specs,
aliases, prices, budgets, the JWT policy). Provider keys named by env var are
read here, at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType

from llmgw.config.builtin import (
    DEFAULT_CHAIN,
    DEFAULT_EMBEDDING_CHAIN,
    TIER_ALIASES,
    demo_spec,
)
from llmgw.config.schema import (
    BackendConfig,
    BreakerConfig,
    ConfigError,
    KeyConfig,
    ModelConfig,
    RetryConfig,
    Settings,
)
from llmgw.domain.backends import ApiKey, BackendSpec
from llmgw.domain.budgets import Budget, BudgetScope, Enforcement, Period, ScopeKind
from llmgw.domain.jwt_policy import JwtPolicy
from llmgw.domain.models import ModelInfo, ModelType
from llmgw.domain.money import ModelPrice, decimal_to_nanos
from llmgw.domain.policies import BreakerPolicy, RetryPolicy
from llmgw.domain.secret import Secret
from llmgw.providers.presets import PRESETS, Preset

_SELF_HOSTED_PRESETS = ("vllm", "ollama")  # trace context goes to these by default


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


def _propagates(backend: BackendConfig, preset: Preset | None) -> bool:
    """Trace context goes upstream: as configured, else to self-hosted engines."""
    if backend.propagate_trace_context is not None:
        return backend.propagate_trace_context
    return (backend.preset or (preset.name if preset else "")) in _SELF_HOSTED_PRESETS


def _spec(
    backend: BackendConfig,
    keys: tuple[Secret, ...],
    preset: Preset | None,
    limited: tuple[ApiKey, ...] = (),
) -> BackendSpec:
    base_url = backend.base_url or (preset.default_base_url if preset else "")
    if not base_url:
        raise ConfigError(f"backend {backend.name!r}: base_url is required")
    models = tuple(_model_info(backend.name, m) for m in backend.models)
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
        propagate_trace_context=_propagates(backend, preset),
        retry=_retry_policy(backend.retry),
        breaker=_breaker_policy(backend.circuit_breaker),
    )


def _model_info(backend: str, m: ModelConfig) -> ModelInfo:
    return ModelInfo(
        id=m.id,
        backend=backend,
        upstream_id=m.upstream_id or m.id,
        type=ModelType(m.type),
        display_name=m.display_name or m.id,
        capabilities=frozenset(m.capabilities),
        context_window=m.context_window,
        max_output_tokens=m.max_output_tokens,
        max_batch_size=m.max_batch_size,
        quality_tier=m.quality_tier,
        tier=m.tier,
    )


def _retry_policy(retry: RetryConfig) -> RetryPolicy:
    return RetryPolicy(
        initial_backoff=retry.initial_backoff_seconds,
        multiplier=retry.multiplier,
        max_backoff=retry.max_backoff_seconds,
        max_retries=retry.max_retries,
        shape=retry.shape,
        per_class=MappingProxyType(dict(retry.per_class)),
    )


def _breaker_policy(breaker: BreakerConfig) -> BreakerPolicy:
    return BreakerPolicy(
        failure_threshold=breaker.failure_threshold,
        failure_ratio=breaker.failure_ratio,
        min_calls=breaker.min_calls,
        window=breaker.window_seconds,
        cooldown=breaker.cooldown_seconds,
        max_cooldown=breaker.max_cooldown_seconds,
        half_open_probes=breaker.half_open_probes,
        success_threshold=breaker.success_threshold,
    )


def effective_aliases(settings: Settings, specs: list[BackendSpec]) -> dict[str, list[str]]:
    """Default aliases (haiku, sonnet, opus, qwen, default, embedding) under the
    file's. A bare backend name in a chain stands for that backend's first model."""
    first_model = {s.name: f"{s.name}/{s.models[0].id}" for s in specs if s.models}
    aliases = {name: list(refs) for name, refs in TIER_ALIASES.items()}
    if "vllm" in first_model:
        aliases["qwen"] = [first_model["vllm"]]
    aliases["default"] = [first_model.get(r, r) for r in DEFAULT_CHAIN]
    aliases["embedding"] = list(DEFAULT_EMBEDDING_CHAIN)
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


def state_database_url(settings: Settings) -> str:
    """Shared state (ledger, budgets, API keys, audit): PostgreSQL when
    ``LLMGW_DATABASE_URL`` is a postgres URL, else the embedded SQLite file."""
    url = settings.ledger.database_url
    return (
        url
        if url.startswith(("postgres://", "postgresql://"))
        else (url or f"sqlite:///{settings.ledger.sqlite_path}")
    )
