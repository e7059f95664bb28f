"""Composition root: configuration in, a running gateway out; owns the lifecycle.

Start-up: load settings -> build one provider (one pooled HTTP session) per
backend -> catalogue, price book, pipeline -> two gRPC servers (data, admin).

SIGHUP re-reads the configuration file and applies what can change at run
time (``llmgw.control.reload``: aliases, routing, price overrides, budgets, caller
rate limits; audited as ``ReloadConfig``).

Shutdown on SIGTERM/SIGINT, in this order (Kubernetes stops routing to a pod
whose readiness fails, then the pod gets ``terminationGracePeriodSeconds``):

1. health -> NOT_SERVING on every service name;
2. ``server.stop(grace)``: no new RPCs, in-flight ones get ``grace`` seconds;
3. provider sessions (and, later, stores) close;
4. exit code 0.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import os
import signal
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from limits.aio.storage import RedisStorage, Storage
from redis.asyncio import BlockingConnectionPool, Redis

from llmgw.accounting.budget_counters import BudgetCounters, MemoryCounters, RedisCounters
from llmgw.accounting.ledger.port import Ledger
from llmgw.accounting.ledger.relay import RelayedLedger
from llmgw.accounting.ledger.sqlite import SqliteLedger
from llmgw.accounting.pricing import PriceBook
from llmgw.accounting.uptime import UptimeLog
from llmgw.api.admin.costs import CostPlane, FixedCost
from llmgw.api.admin.keys import KeyAdmin
from llmgw.api.server import GatewayServers, ServerOptions
from llmgw.api.telemetry_interceptor import server_interceptors
from llmgw.api.validation import SizeLimits
from llmgw.auth.authenticator import Authenticator
from llmgw.auth.jwt_verifier import JwtVerifier, KeySource, StaticKey
from llmgw.config import (
    DEMO_BACKEND,
    ConfigError,
    Settings,
    backend_specs,
    budget_definitions,
    effective_aliases,
    jwt_policy,
    jwt_public_key,
    jwt_secret,
    load_settings,
    price_overrides,
    tracing_configured,
)
from llmgw.control.probes import Prober
from llmgw.control.reload import ConfigReloader, ReloadTargets, caller_defaults
from llmgw.domain.addresses import is_loopback
from llmgw.domain.backends import BackendSpec
from llmgw.domain.clock import Clock, SystemClock
from llmgw.domain.money import decimal_to_nanos
from llmgw.observability.logging import configure, get_logger
from llmgw.observability.tracing import Tracing
from llmgw.outbound.dns import SystemResolver
from llmgw.outbound.endpoint_guard import EndpointGuard, EndpointPolicy
from llmgw.outbound.jwks import JwksFetcher
from llmgw.outbound.webhook import AlertWebhook
from llmgw.pipeline.budget import BudgetGuard
from llmgw.pipeline.catalog import Catalog
from llmgw.pipeline.gateway import Backends, Gateway, RoutingSettings
from llmgw.pipeline.keys import KeyPool
from llmgw.pipeline.loader import load_steps
from llmgw.pipeline.ratelimit import CallerLimits
from llmgw.pipeline.resilience import AttemptLoop, BackendPolicies
from llmgw.pipeline.settlement import Accountant, AccountingSettings
from llmgw.pipeline.stream_slots import LocalSlots, RedisSlots, StreamSlots
from llmgw.providers.base import Provider
from llmgw.providers.registry import build_provider
from llmgw.storage.api_keys import BOOTSTRAP_KEY_ID, ApiKeyStore, ensure_bootstrap_key
from llmgw.storage.audit import AuditStore
from llmgw.storage.budgets import BudgetStore
from llmgw.storage.database import Database, open_database
from llmgw.telemetry import Watched, monitoring, telemetry_for, version

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


def build(
    settings: Settings,
    env: Mapping[str, str] | None = None,
    costs: CostPlane | None = None,
    clock: Clock | None = None,
    tracing: Tracing | None = None,
) -> Built:
    """Build providers, catalogue, prices and the pipeline from settings; the
    accountant bills to ``costs`` (ledger, budget guard) when given; the
    pipeline's time (breakers, backoff, latency) is ``clock`` (tests drive it).

    Per-key counters go to Redis when ``redis_url`` is set (shared by every
    replica), else they stay in this process.
    """
    clock = clock or SystemClock()
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
        {spec.name: BackendPolicies(spec.retry, spec.breaker) for spec in specs}, clock
    )
    routing = RoutingSettings(
        strategies=dict(settings.routing.strategies),
        local_backends=frozenset(n for n, p in presets.items() if p in LOCAL_PRESETS),
        max_in_flight={s.name: s.max_concurrent_requests for s in specs},
        exploration=settings.routing.latency_exploration,
        allow_downgrade=frozenset(settings.routing.allow_downgrade),
        downgrade_at_percent=settings.routing.downgrade_at_percent,
    )
    pools = {spec.name: KeyPool(spec.name, spec.key_pool(), clock, key_storage) for spec in specs}
    first_token = {s.name: s.first_token_timeout for s in specs if s.first_token_timeout}
    gateway = Gateway(
        Backends(catalog, providers, prices, attempts, pools, first_token),
        routing,
        accountant=_accountant(settings, prices, costs, clock),
        limits=caller_limits(settings, key_storage),
        custom_steps=load_steps(settings.pipeline.steps, settings.pipeline.entry_points),
        clock=clock,
        telemetry=telemetry_for(settings.observability, presets, tracing),
    )
    return Built(gateway, providers, specs, Prober(providers, settings.probe_interval_seconds))


@dataclass(frozen=True, slots=True)
class Running:
    """A started gateway: bound addresses (ports resolved when 0 was asked)."""

    data_address: str
    admin_address: str
    servers: GatewayServers
    built: Built
    audit: AuditStore | None = None
    costs: CostPlane | None = None
    metrics_address: str = ""  # the /metrics listener ("" when off)


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
    settings: Settings,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    tracing: Tracing | None = None,
) -> AsyncIterator[Running]:
    """Start both servers; on exit shut down in the documented order. ``clock``
    is the pipeline's time (default the system clock; tests pass a driven one);
    ``tracing`` the process's tracer provider (``None``: tracing off)."""
    async with AsyncExitStack() as stack:
        state_db = await open_database(state_database_url(settings))
        stack.push_async_callback(state_db.close)
        async with _serving(settings, env, state_db, stack, (clock, tracing)) as running:
            built, costs = running.built, running.costs
            assert costs is not None
            watched = Watched(built.gateway, built.prober, costs.guard, costs.ledger)
            async with monitoring(settings.observability, watched) as metrics_address:
                yield dataclasses.replace(running, metrics_address=metrics_address)


def _accountant(
    settings: Settings, prices: PriceBook, costs: CostPlane | None, clock: Clock
) -> Accountant:
    if costs is None:
        return Accountant(prices, clock=clock)
    budgets = settings.budgets
    return Accountant(
        prices,
        costs.ledger,
        costs.guard,
        AccountingSettings(
            default_max_output_tokens=budgets.default_max_output_tokens,
            unpriced_reservation_nanos=decimal_to_nanos(budgets.unpriced_reservation),
        ),
        clock,
    )


async def _accounting(
    settings: Settings, state_db: Database, vllm: list[str], stack: AsyncExitStack
) -> CostPlane:
    """Ledger (SQLite, or outbox + relay to PostgreSQL), budget guard, vLLM
    uptime; each closed by ``stack`` after the servers have stopped (so the
    last rows of in-flight requests are flushed)."""
    url = settings.ledger.database_url
    ledger: Ledger
    if url.startswith(("postgres://", "postgresql://")):
        outbox = await open_database(f"sqlite:///{settings.ledger.outbox_path}")
        stack.push_async_callback(outbox.close)
        ledger = RelayedLedger(
            outbox,
            url,
            settings.ledger.relay_batch_size,
            settings.ledger.relay_interval_seconds,
            synchronous=settings.ledger.sqlite_synchronous,
        )
    else:
        ledger = SqliteLedger(state_db, synchronous=settings.ledger.sqlite_synchronous)
    await ledger.start()
    stack.push_async_callback(ledger.close)
    budgets = settings.budgets
    notify: AlertWebhook | None = None
    if budgets.webhook_url:
        notify = AlertWebhook(budgets.webhook_url)
        stack.push_async_callback(notify.aclose)
    counters: BudgetCounters
    if settings.redis_url:
        # A blocking pool waits for a free connection under load (the default
        # pool raises "Too many connections").
        client = Redis(
            connection_pool=BlockingConnectionPool.from_url(settings.redis_url, max_connections=64)
        )
        stack.push_async_callback(client.aclose)
        counters = RedisCounters(client, settings.redis_prefix)
    else:
        counters = MemoryCounters()
    guard = BudgetGuard(
        BudgetStore(state_db),
        counters,
        ledger.spent,
        notify,
        config_budgets=budget_definitions(settings),
        refresh_seconds=budgets.refresh_seconds,
    )
    await guard.start()
    stack.push_async_callback(guard.close)
    uptime = UptimeLog(state_db, vllm)
    await uptime.start()
    stack.push_async_callback(uptime.close)
    fixed = [FixedCost(name, budgets.vllm_hourly_rate) for name in vllm]
    return CostPlane(ledger, guard, uptime, fixed)


@asynccontextmanager
async def _serving(
    settings: Settings,
    env: Mapping[str, str] | None,
    state_db: Database,
    stack: AsyncExitStack,
    time_and_traces: tuple[Clock | None, Tracing | None] = (None, None),
) -> AsyncIterator[Running]:
    vllm = [s.name for s in backend_specs(settings, env) if (s.preset or s.name) == "vllm"]
    costs = await _accounting(settings, state_db, vllm, stack)
    built = build(settings, env, costs, *time_and_traces)
    authenticator, key_admin = await _authentication(settings, env, state_db, stack)
    audit = await AuditStore.open(state_db)
    servers = GatewayServers(
        built.gateway,
        ServerOptions(
            listen=settings.listen,
            admin_listen=settings.admin_listen,
            default_deadline_seconds=settings.default_deadline_seconds,
            max_receive_message_bytes=settings.max_receive_message_bytes,
            max_send_message_bytes=settings.max_send_message_bytes,
            max_embedding_batch=settings.rate_limits.max_embedding_batch
            or settings.max_embedding_batch,
            size_limits=size_limits(settings),
            interceptors=server_interceptors(built.gateway.telemetry, time_and_traces[1]),
        ),
        built.specs,
        built.prober,
        build_provider,
        costs,
        audit=audit,
        endpoints=endpoint_guard(settings),
        authenticator=authenticator,
        key_admin=key_admin,
        credentials=env_credentials(settings, env),
    )
    try:
        data_port, admin_port = await servers.start()
        built.prober.start()
        yield Running(
            _with_port(settings.listen, data_port),
            _with_port(settings.admin_listen, admin_port),
            servers,
            built,
            audit,
            costs,
        )
    finally:
        await built.prober.stop()
        await servers.stop(settings.shutdown_grace_seconds)
        await asyncio.gather(*(p.aclose() for p in built.providers.values()))


def caller_limits(settings: Settings, storage: Storage | None) -> CallerLimits:
    """Caller rate limits and stream caps from ``rate_limits:``; ``storage`` is
    the per-key pools' (Redis when ``redis_url`` is set, so limits are global)."""
    config = settings.rate_limits
    slots: StreamSlots = LocalSlots()
    if settings.redis_url:
        client = Redis.from_url(settings.redis_url)
        slots = RedisSlots(client, settings.redis_prefix, config.stream_slot_ttl_seconds)
    return CallerLimits(storage, SystemClock(), caller_defaults(settings), slots)


def env_credentials(
    settings: Settings, env: Mapping[str, str] | None
) -> Callable[[str], str | None]:
    """``CreateBackend``'s ``env://VAR`` credentials. The gateway's own
    variables (``LLMGW_*``: admin key, database and Redis URLs; the JWT
    secret's) are refused, so an admin call cannot send them to an endpoint
    of its choosing."""
    source = os.environ if env is None else env
    refused = {settings.auth.jwt.secret_env} - {""}

    def read(name: str) -> str | None:
        if name.startswith("LLMGW_") or name in refused:
            return None
        return source.get(name) or None

    return read


def size_limits(settings: Settings) -> SizeLimits:
    config = settings.rate_limits
    return SizeLimits(
        max_messages=config.max_messages,
        max_total_characters=config.max_total_characters,
        max_output_tokens=config.max_output_tokens,
    )


def endpoint_guard(settings: Settings) -> EndpointGuard:
    """The admin plane's SSRF guard (``endpoints:``) over the system resolver."""
    config = settings.endpoints
    policy = EndpointPolicy(
        allowed_hosts=tuple(config.allowed_hosts),
        deny_networks=tuple(ipaddress.ip_network(c, strict=False) for c in config.deny_cidrs),
        allow_private=config.allow_private,
    )
    return EndpointGuard(policy, SystemResolver())


def url_passwords(*urls: str) -> list[str]:
    """Passwords in connection URLs (database, Redis), for the log scrubber."""
    found = []
    for url in urls:
        try:
            password = urlsplit(url).password if url else None
        except ValueError:
            password = None
        if password:
            found += [password, unquote(password)]
    return found


def _async_redis_url(url: str) -> str:
    """The limits library's async Redis storage scheme (``async+redis://``)."""
    return url if url.startswith("async+") else f"async+{url}"


async def _authentication(
    settings: Settings, env: Mapping[str, str] | None, state_db: Database, stack: AsyncExitStack
) -> tuple[Authenticator | None, KeyAdmin]:
    """Key store (always: keys can be made before auth is switched on), the
    bootstrap admin key, the JWT verifier (JWKS refreshed in the background)
    and, when auth is on, the authenticator the interceptors use."""
    store = ApiKeyStore(state_db)
    await store.migrate()
    auth = settings.auth
    bootstrap = auth.bootstrap_admin_key.get_secret_value()
    if bootstrap and await ensure_bootstrap_key(store, bootstrap):
        get_logger("llmgw").info("bootstrap admin key created", key_id=BOOTSTRAP_KEY_ID)
    if not auth.active:
        return None, KeyAdmin(store)
    verifier: JwtVerifier | None = None
    jwt_config = auth.jwt
    if jwt_config.issuer:
        keys: KeySource
        if jwt_config.jwks_url:
            fetcher = JwksFetcher(
                jwt_config.jwks_url, refresh_seconds=jwt_config.jwks_refresh_seconds
            )
            await fetcher.start()
            stack.push_async_callback(fetcher.stop)
            keys = fetcher
        else:
            keys = StaticKey(jwt_secret(settings, env) or jwt_public_key(settings))
        verifier = JwtVerifier(jwt_policy(settings), keys)
    authenticator = Authenticator(store, verifier, cache_ttl=auth.key_cache_ttl_seconds)
    return authenticator, KeyAdmin(store, authenticator)


def exposure_problem(settings: Settings) -> str:
    """Why this configuration must not start without ``--insecure-no-auth``
    (auth off and a listener reachable from other hosts), or ``""``."""
    if settings.auth.active:
        return ""
    exposed = [a for a in (settings.listen, settings.admin_listen) if not is_loopback(a)]
    if not exposed:
        return ""
    return (
        f"refusing to listen on {', '.join(exposed)} with authentication off: anyone who can "
        "reach it could use the gateway. Set LLMGW_ADMIN_KEY (or auth.enabled / auth.jwt), "
        "listen on 127.0.0.1, or pass --insecure-no-auth to accept the risk."
    )


def _with_port(address: str, port: int) -> str:
    host = address.rsplit(":", 1)[0]
    if host in ("[::]", "0.0.0.0", ""):
        host = "127.0.0.1"
    return f"{host}:{port}"


def config_reloader(
    running: Running, started: Settings, load: Callable[[], Settings]
) -> ConfigReloader:
    """The SIGHUP reloader over a running gateway (``llmgw.control.reload``)."""
    guard = running.costs.guard if running.costs is not None else None
    targets = ReloadTargets(running.built.gateway, running.built.specs, guard, running.audit)
    return ConfigReloader(load, started, targets)


async def serve(settings: Settings, load: Callable[[], Settings] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; SIGHUP reloads through ``load`` (the
    settings as ``run`` reads them); returns the process exit code. Tracing is
    on when the ``OTEL_*`` variables configure an exporter (``tracing_configured``)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    early_hup = asyncio.Event()  # SIGHUP during start-up: reload once started
    loop.add_signal_handler(signal.SIGHUP, early_hup.set)
    tracing = Tracing.from_environment(version()) if tracing_configured() else None
    try:
        return await _serve_until_stopped(settings, load, stop, (early_hup, tracing))
    finally:
        if tracing is not None:
            tracing.shutdown()  # exports the last spans


async def _serve_until_stopped(
    settings: Settings,
    load: Callable[[], Settings] | None,
    stop: asyncio.Event,
    hup_and_traces: tuple[asyncio.Event, Tracing | None],
) -> int:
    log = get_logger("llmgw")
    loop = asyncio.get_running_loop()
    early_hup, tracing = hup_and_traces
    async with running_gateway(settings, tracing=tracing) as running:
        reloader = config_reloader(running, settings, load or (lambda: settings))
        loop.add_signal_handler(signal.SIGHUP, reloader.trigger)
        if early_hup.is_set():
            reloader.trigger()
        log.info(
            "gateway started",
            data_plane=running.data_address,
            admin_plane=running.admin_address,
            metrics=running.metrics_address,
            tracing=tracing is not None,
            backends=[s.name for s in running.built.specs],
        )
        await stop.wait()
        loop.add_signal_handler(signal.SIGHUP, lambda: None)  # ignored while stopping
        await reloader.aclose()
        log.info("shutdown requested", grace_seconds=settings.shutdown_grace_seconds)
    log.info("gateway stopped")
    return 0


def run(
    config: Path | None,
    *,
    listen: str | None = None,
    admin_listen: str | None = None,
    log_level: str | None = None,
    insecure_no_auth: bool = False,
    metrics_listen: str | None = None,
) -> int:
    """``llmgw serve``: load settings, install uvloop, serve.

    ``ConfigError`` when auth is off and a listener is not loopback, unless
    ``insecure_no_auth`` (see ``exposure_problem``)."""
    import uvloop

    overrides = {
        k: v
        for k, v in (("listen", listen), ("admin_listen", admin_listen), ("log_level", log_level))
        if v is not None
    }

    def load() -> Settings:
        """The file and env, then the command line's overrides (also on SIGHUP)."""
        raw = {**load_settings(config).model_dump(), **overrides}
        if metrics_listen is not None:
            raw["observability"] = {**raw["observability"], "metrics_listen": metrics_listen}
        return Settings.model_validate(raw)

    settings = load()
    problem = exposure_problem(settings)
    if problem and not insecure_no_auth:
        raise ConfigError(problem)
    secrets = [k.reveal() for s in backend_specs(settings) for k in s.api_keys]
    secrets += [settings.auth.bootstrap_admin_key.get_secret_value(), jwt_secret(settings)]
    secrets += url_passwords(settings.ledger.database_url, settings.redis_url)
    configure(settings.log_level, secrets)
    if problem:
        get_logger("llmgw").warning("authentication is off on a non-loopback listener", why=problem)
    del secrets
    return uvloop.run(serve(settings, load))
