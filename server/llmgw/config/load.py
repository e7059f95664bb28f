"""Loading the configuration: a YAML file validated with pydantic, plus the usual env vars.

This package and ``app.py`` are the only places that read files or the
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
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)

from llmgw.config.schema import (
    AuthConfig,
    BackendConfig,
    BudgetConfig,
    ConfigError,
    ModelConfig,
    Settings,
)
from llmgw.domain.models import ModelInfo, ModelType
from llmgw.providers.presets import PRESETS

_BUDGET_ENV = (("global_limit", "BUDGET_LIMIT"), ("vllm_hourly_rate", "VLLM_HOURLY_RATE"))


def tracing_configured(env: Mapping[str, str] | None = None) -> bool:
    """Whether the operator asked for traces: an OTLP endpoint is set
    (``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``..._TRACES_ENDPOINT``), and neither
    ``OTEL_SDK_DISABLED=true`` nor ``OTEL_TRACES_EXPORTER=none`` says otherwise.
    The SDK reads the rest of the ``OTEL_*`` variables itself."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "").lower() == "none":
        return False
    return bool(
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def load_settings(path: Path | None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the YAML file (if any) and merge env-derived backends under it."""
    env = os.environ if env is None else env
    raw = _read_document(path) if path is not None else {}
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from exc
    settings = _with_shared_state_env(settings, env)
    settings = _with_budget_env(settings, env)
    settings = _with_admin_key(settings, env)
    if env.get("LLMGW_DATABASE_URL") and not settings.ledger.database_url:
        ledger = settings.ledger.model_copy(update={"database_url": env["LLMGW_DATABASE_URL"]})
        settings = settings.model_copy(update={"ledger": ledger})
    file_names = {b.name for b in settings.backends}
    from_env = [b for b in backends_from_env(env) if b.name not in file_names]
    if not from_env:  # keep ``model_fields_set`` to what the file said (reload checks it)
        return settings
    return settings.model_copy(update={"backends": [*from_env, *settings.backends]})


def _with_shared_state_env(settings: Settings, env: Mapping[str, str]) -> Settings:
    """``LLMGW_REDIS_URL`` and ``LLMGW_REQUIRED_BACKENDS`` (comma-separated),
    each only where the file left the setting unset: the file wins."""
    if env.get("LLMGW_REDIS_URL") and not settings.redis_url:
        settings = settings.model_copy(update={"redis_url": env["LLMGW_REDIS_URL"]})
    required = [n.strip() for n in env.get("LLMGW_REQUIRED_BACKENDS", "").split(",") if n.strip()]
    if required and not settings.required_backends:
        settings = settings.model_copy(update={"required_backends": required})
    return settings


def _with_budget_env(settings: Settings, env: Mapping[str, str]) -> Settings:
    """``BUDGET_LIMIT`` and ``VLLM_HOURLY_RATE`` over the file's ``budgets:``
    (validated as the file's values are)."""
    budget_env = {key: env[name] for key, name in _BUDGET_ENV if env.get(name)}
    if not budget_env:
        return settings
    try:
        budgets = BudgetConfig.model_validate({**settings.budgets.model_dump(), **budget_env})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, None)) from exc
    return settings.model_copy(update={"budgets": budgets})


def _read_document(path: Path) -> dict[str, Any]:
    """The YAML mapping in ``path``; ``ConfigError`` when unreadable, empty
    (a truncated write, not a configuration) or not a mapping."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    if loaded is None:
        raise ConfigError(
            f"config file {path} is empty; write {{}} for a configuration of defaults only"
        )
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {path}: top level must be a mapping")
    return loaded


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
        tier=model.tier,
    )
