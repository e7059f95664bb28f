"""Composition root: configuration in, a running gateway out; owns the lifecycle.

Start-up: load settings -> build one provider (one pooled HTTP session) per
backend -> catalogue, price book, pipeline -> two gRPC servers (data, admin).

Shutdown on SIGTERM/SIGINT, in this order (Kubernetes stops routing to a pod
whose readiness fails, then the pod gets ``terminationGracePeriodSeconds``):

1. health -> NOT_SERVING on every service name;
2. ``server.stop(grace)``: no new RPCs, in-flight ones get ``grace`` seconds;
3. provider sessions (and, later, stores) close;
4. exit code 0.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from limits.aio.storage import RedisStorage

from llmgw.accounting.database import Database, open_database
from llmgw.accounting.pricing import PriceBook
from llmgw.api.server import GatewayServers, ServerOptions
from llmgw.config import (
    DEMO_BACKEND,
    Settings,
    backend_specs,
    effective_aliases,
    load_settings,
    price_overrides,
)
from llmgw.domain.backends import BackendSpec
from llmgw.observability.logging import configure, get_logger
from llmgw.pipeline.catalog import Catalog
from llmgw.pipeline.clock import SystemClock
from llmgw.pipeline.gateway import Gateway, RoutingSettings
from llmgw.pipeline.keys import KeyPool
from llmgw.pipeline.probes import Prober
from llmgw.pipeline.resilience import AttemptLoop, BackendPolicies
from llmgw.providers.base import Provider
from llmgw.providers.registry import build_provider

# genai-prices provider ids per backend preset; self-hosted engines are free per
# token (their cost is GPU uptime, accounted separately).
_PROVIDER_IDS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "mistral": "mistral",
    "together": "together",
    "openrouter": "openrouter",
}
_SELF_HOSTED = ("vllm", "ollama", DEMO_BACKEND)
LOCAL_PRESETS = ("vllm", "ollama")  # what local_first routing prefers


@dataclass(frozen=True, slots=True)
class Built:
    """Everything ``build`` made; ``providers`` must be closed by the owner."""

    gateway: Gateway
    providers: Mapping[str, Provider]
    specs: tuple[BackendSpec, ...]
    prober: Prober


def build(settings: Settings, env: Mapping[str, str] | None = None) -> Built:
    """Build providers, catalogue, prices and the pipeline from settings.

    Per-key counters go to Redis when ``redis_url`` is set (shared by every
    replica), else they stay in this process.
    """
    key_storage = RedisStorage(_async_redis_url(settings.redis_url)) if settings.redis_url else None
    specs = tuple(backend_specs(settings, env))
    providers = {spec.name: build_provider(spec) for spec in specs}
    models = [m for spec in specs for m in spec.models]
    catalog = Catalog(models, effective_aliases(settings, list(specs)))
    presets = {spec.name: spec.preset or spec.name for spec in specs}
    prices = PriceBook(
        models,
        provider_ids={n: _PROVIDER_IDS[p] for n, p in presets.items() if p in _PROVIDER_IDS},
        free_backends=[n for n, p in presets.items() if p in _SELF_HOSTED],
        overrides=price_overrides(settings),
    )
    attempts = AttemptLoop(
        {spec.name: BackendPolicies(spec.retry, spec.breaker) for spec in specs}, SystemClock()
    )
    routing = RoutingSettings(
        strategies=dict(settings.routing.strategies),
        local_backends=frozenset(n for n, p in presets.items() if p in LOCAL_PRESETS),
        max_in_flight={s.name: s.max_concurrent_requests for s in specs},
        exploration=settings.routing.latency_exploration,
    )
    clock = SystemClock()
    pools = {spec.name: KeyPool(spec.name, spec.key_pool(), clock, key_storage) for spec in specs}
    gateway = Gateway(
        catalog,
        providers,
        prices,
        attempts,
        routing,
        pools,
        {spec.name: spec.first_token_timeout for spec in specs if spec.first_token_timeout},
    )
    prober = Prober(providers, interval=settings.probe_interval_seconds)
    return Built(gateway, providers, specs, prober)


@dataclass(frozen=True, slots=True)
class Running:
    """A started gateway: bound addresses (ports resolved when 0 was asked)."""

    data_address: str
    admin_address: str
    servers: GatewayServers
    built: Built


def state_database_url(settings: Settings) -> str:
    """Shared state (ledger, budgets, API keys, audit): PostgreSQL when
    ``LLMGW_DATABASE_URL`` is a postgres URL, else the embedded SQLite file."""
    url = settings.ledger.database_url
    return (
        url
        if url.startswith(("postgres://", "postgresql://"))
        else (url or f"sqlite:///{settings.ledger.sqlite_path}")
    )


@asynccontextmanager
async def running_gateway(
    settings: Settings, env: Mapping[str, str] | None = None
) -> AsyncIterator[Running]:
    """Start both servers; on exit shut down in the documented order."""
    async with AsyncExitStack() as stack:
        state_db = await open_database(state_database_url(settings))
        stack.push_async_callback(state_db.close)
        async with _serving(settings, env, state_db) as running:
            yield running


@asynccontextmanager
async def _serving(
    settings: Settings, env: Mapping[str, str] | None, state_db: Database
) -> AsyncIterator[Running]:
    built = build(settings, env)
    servers = GatewayServers(
        built.gateway,
        ServerOptions(
            listen=settings.listen,
            admin_listen=settings.admin_listen,
            default_deadline_seconds=settings.default_deadline_seconds,
            max_receive_message_bytes=settings.max_receive_message_bytes,
            max_send_message_bytes=settings.max_send_message_bytes,
            max_embedding_batch=settings.max_embedding_batch,
        ),
        built.specs,
        built.prober,
        build_provider,
    )
    try:
        data_port, admin_port = await servers.start()
        built.prober.start()
        yield Running(
            _with_port(settings.listen, data_port),
            _with_port(settings.admin_listen, admin_port),
            servers,
            built,
        )
    finally:
        await built.prober.stop()
        await servers.stop(settings.shutdown_grace_seconds)
        await asyncio.gather(*(p.aclose() for p in built.providers.values()))


def _async_redis_url(url: str) -> str:
    """The limits library's async Redis storage scheme (``async+redis://``)."""
    return url if url.startswith("async+") else f"async+{url}"


def _with_port(address: str, port: int) -> str:
    host = address.rsplit(":", 1)[0]
    if host in ("[::]", "0.0.0.0", ""):
        host = "127.0.0.1"
    return f"{host}:{port}"


async def serve(settings: Settings) -> int:
    """Serve until SIGTERM/SIGINT; returns the process exit code."""
    log = get_logger("llmgw")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_gateway(settings) as running:
        log.info(
            "gateway started",
            data_plane=running.data_address,
            admin_plane=running.admin_address,
            backends=[s.name for s in running.built.specs],
        )
        await stop.wait()
        log.info("shutdown requested", grace_seconds=settings.shutdown_grace_seconds)
    log.info("gateway stopped")
    return 0


def run(
    config: Path | None,
    *,
    listen: str | None = None,
    admin_listen: str | None = None,
    log_level: str | None = None,
) -> int:
    """``llmgw serve``: load settings, install uvloop, serve."""
    import uvloop

    settings = load_settings(config)
    overrides = {
        k: v
        for k, v in (("listen", listen), ("admin_listen", admin_listen), ("log_level", log_level))
        if v is not None
    }
    settings = Settings.model_validate({**settings.model_dump(), **overrides})
    secrets = [k.reveal() for s in backend_specs(settings) for k in s.api_keys]
    configure(settings.log_level, secrets)
    del secrets
    return uvloop.run(serve(settings))
