"""Configuration: a YAML file validated with pydantic, plus the usual env vars.

This package and ``app.py`` are the only places that read files or the
environment; everything else receives typed values. By job:

* ``schema``: the pydantic models (strict: unknown keys are errors);
  its ``auth:``/``tls:`` sections in ``schema_security`` (re-exported), the
  strict base model in ``strict``;
* ``load``: file + environment -> ``Settings`` (errors name the field path);
* ``specs``: ``Settings`` -> domain objects (backend specs, aliases, prices,
  budgets, the JWT policy);
* ``builtin``: the simulated ``demo`` backend and the default alias chains.

The names below are the package's public surface.
"""

from llmgw.config.builtin import DEMO_BACKEND, demo_spec
from llmgw.config.load import (
    backends_from_env,
    jwt_public_key,
    jwt_secret,
    load_settings,
    tracing_configured,
)
from llmgw.config.schema import (
    AuthConfig,
    BackendConfig,
    BudgetConfig,
    ConfigError,
    JwtConfig,
    Settings,
)
from llmgw.config.specs import (
    backend_specs,
    budget_definitions,
    effective_aliases,
    jwt_policy,
    price_overrides,
    state_database_url,
)

__all__ = [
    "DEMO_BACKEND",
    "AuthConfig",
    "BackendConfig",
    "BudgetConfig",
    "ConfigError",
    "JwtConfig",
    "Settings",
    "backend_specs",
    "backends_from_env",
    "budget_definitions",
    "demo_spec",
    "effective_aliases",
    "jwt_policy",
    "jwt_public_key",
    "jwt_secret",
    "load_settings",
    "price_overrides",
    "state_database_url",
    "tracing_configured",
]
