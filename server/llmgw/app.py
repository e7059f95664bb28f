"""Composition root: configuration in, a running gateway out; owns the lifecycle.

Start-up: load settings -> build one provider (one pooled HTTP session) per
backend -> catalogue, price book, pipeline -> two gRPC servers (data, admin).

SIGHUP re-reads the configuration file and applies what can change at run
time (``llmgw.control.reload``: aliases, routing, price overrides, budgets, caller
rate limits; audited as ``ReloadConfig``).

Shutdown on SIGTERM/SIGINT (``GatewayServers.shutdown``; balancers learn of
a terminating pod seconds after Kubernetes does, and the pod's
``terminationGracePeriodSeconds`` must exceed delay + grace + the flush):
readiness and the overall status NOT_SERVING at once -> servers keep accepting
for ``shutdown_delay_seconds`` -> no new RPCs, in-flight calls and streams get
``shutdown_grace_seconds`` -> providers close -> the ledger commits its last
rows and the outbox relay flushes -> exit 0.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import signal
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from limits.aio.storage import RedisStorage, Storage
from pydantic import ValidationError
from redis.asyncio import BlockingConnectionPool, Redis

from llmgw.accounting.budget_counters import BudgetCounters, MemoryCounters, RedisCounters
from llmgw.accounting.ledger.journal import local_ledger
from llmgw.accounting.ledger.port import Ledger
from llmgw.accounting.ledger.relay import RelayedLedger
from llmgw.accounting.pricing import PriceBook
from llmgw.accounting.uptime import UptimeLog
from llmgw.api.admin.costs import CostPlane, FixedCost
from llmgw.api.admin.keys import KeyAdmin
from llmgw.api.listen_check import check_free
from llmgw.api.server import GatewayServers, ServerOptions
from llmgw.api.validation import SizeLimits
from llmgw.auth.authenticator import Authenticator
from llmgw.auth.cert_identity import CertificateIdentities
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
    state_database_url,
)
from llmgw.config.serving import (
    authenticates,
    certificate_principals,
    exposure_problem,
    shutdown_delay,
    url_passwords,
)
from llmgw.config.tls_files import TlsFiles
from llmgw.control.probes import Prober
from llmgw.control.reload import ConfigReloader, ReloadTargets, caller_defaults
from llmgw.domain.backends import BackendSpec
from llmgw.domain.clock import Clock, SystemClock
from llmgw.domain.credentials import EnvCredentialPolicy, EnvCredentials
from llmgw.domain.money import decimal_to_nanos
from llmgw.observability.logging import configure, get_logger
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
from llmgw.pipeline.token_count import TokenCounter
from llmgw.providers.base import Provider
from llmgw.providers.registry import build_provider
from llmgw.storage.api_keys import BOOTSTRAP_KEY_ID, ApiKeyStore, ensure_bootstrap_key
from llmgw.storage.audit import AuditStore
from llmgw.storage.budgets import BudgetStore
from llmgw.storage.database import Database, open_database

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
    token_counter: TokenCounter | None = None


def build(
    settings: Settings,
    env: Mapping[str, str] | None = None,
    costs: CostPlane | None = None,
    clock: Clock | None = None,
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
    unknown = set(settings.required_backends) - {spec.name for spec in specs}
    if unknown:
        raise ConfigError(f"required_backends: no backend named {', '.join(sorted(unknown))}")
    if settings.tls.problem():
        raise ConfigError(settings.tls.problem())
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
    )
    prober = Prober(providers, interval=settings.probe_interval_seconds)
    return Built(gateway, providers, specs, prober, TokenCounter(providers, catalog, prices))


@dataclass(frozen=True, slots=True)
class Running:
    """A started gateway: bound addresses (ports resolved when 0 was asked)."""

    data_address: str
    admin_address: str
    servers: GatewayServers
    built: Built
    audit: AuditStore | None = None
    costs: CostPlane | None = None


@asynccontextmanager
async def running_gateway(
    settings: Settings, env: Mapping[str, str] | None = None, clock: Clock | None = None
) -> AsyncIterator[Running]:
    """Start both servers; on exit shut down in the documented order. ``clock``
    is the pipeline's time (default the system clock; tests pass a driven one)."""
    async with AsyncExitStack() as stack:
        state_db = await open_database(state_database_url(settings))
        stack.push_async_callback(state_db.close)
        async with _serving(settings, env, state_db, stack, clock) as running:
            yield running


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
        path = state_database_url(settings).removeprefix("sqlite:///")
        ledger = local_ledger(state_db, settings.ledger.sqlite_synchronous, path)
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
    clock: Clock | None = None,
) -> AsyncIterator[Running]:
    vllm = [s.name for s in backend_specs(settings, env) if (s.preset or s.name) == "vllm"]
    costs = await _accounting(settings, state_db, vllm, stack)
    built = build(settings, env, costs, clock)
    authenticator, key_admin = await _authentication(settings, env, state_db, stack)
    audit = await AuditStore.open(state_db)
    servers = GatewayServers(
        built.gateway,
        server_options(settings, built.token_counter),
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
        built.prober.start()
        data_port, admin_port = await servers.start()
        yield Running(
            _with_port(settings.listen, data_port),
            _with_port(settings.admin_listen, admin_port),
            servers,
            built,
            audit,
            costs,
        )
    finally:
        await servers.shutdown(shutdown_delay(settings), settings.shutdown_grace_seconds)
        await built.prober.stop()
        await asyncio.gather(*(p.aclose() for p in built.providers.values()))


def server_options(
    settings: Settings, token_counter: TokenCounter | None = None
) -> ServerOptions:
    """Listeners, limits, TLS (one file reader per listener), mTLS identities and
    the backends' token counters (``CountTokens``)."""
    identities = certificate_principals(settings)
    return ServerOptions(
        listen=settings.listen,
        admin_listen=settings.admin_listen,
        default_deadline_seconds=settings.default_deadline_seconds,
        max_receive_message_bytes=settings.max_receive_message_bytes,
        max_send_message_bytes=settings.max_send_message_bytes,
        max_embedding_batch=settings.rate_limits.max_embedding_batch
        or settings.max_embedding_batch,
        size_limits=size_limits(settings),
        tls=partial(TlsFiles, settings.tls) if settings.tls.enabled else None,
        identities=CertificateIdentities(identities) if identities else None,
        required_backends=tuple(settings.required_backends),
        readiness_interval_seconds=settings.readiness_interval_seconds,
        token_counter=token_counter,
    )


def caller_limits(settings: Settings, storage: Storage | None) -> CallerLimits:
    """Caller rate limits and stream caps from ``rate_limits:``; ``storage`` is
    the per-key pools' (Redis when ``redis_url`` is set, so limits are global)."""
    config = settings.rate_limits
    slots: StreamSlots = LocalSlots()
    if settings.redis_url:
        client = Redis.from_url(settings.redis_url)
        slots = RedisSlots(client, settings.redis_prefix, config.stream_slot_ttl_seconds)
    return CallerLimits(storage, SystemClock(), caller_defaults(settings), slots)


def env_credentials(settings: Settings, env: Mapping[str, str] | None) -> EnvCredentials:
    """``CreateBackend``'s ``env://VAR`` credentials: only the variables
    declared in ``endpoints.credential_env``, never the gateway's own
    (``LLMGW_*``, the JWT secret's), so an admin call cannot send them to an
    endpoint of its choosing (``llmgw.domain.credentials``)."""
    source = os.environ if env is None else env
    policy = EnvCredentialPolicy(
        allowed=tuple(settings.endpoints.credential_env),
        refused=frozenset({settings.auth.jwt.secret_env} - {""}),
    )
    return EnvCredentials(policy, lambda name: source.get(name) or None)


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
    if not authenticates(settings):  # API keys / JWT, or mTLS identities
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
    settings as ``run`` reads them); returns the process exit code."""
    log = get_logger("llmgw")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    early_hup = asyncio.Event()  # SIGHUP during start-up: reload once started
    loop.add_signal_handler(signal.SIGHUP, early_hup.set)
    async with running_gateway(settings) as running:
        reloader = config_reloader(running, settings, load or (lambda: settings))
        loop.add_signal_handler(signal.SIGHUP, reloader.trigger)
        if early_hup.is_set():
            reloader.trigger()
        log.info(
            "gateway started",
            data_plane=running.data_address,
            admin_plane=running.admin_address,
            backends=[s.name for s in running.built.specs],
        )
        await stop.wait()
        loop.add_signal_handler(signal.SIGHUP, lambda: None)  # ignored while stopping
        await reloader.aclose()
        log.info(
            "shutdown requested",
            delay_seconds=shutdown_delay(settings),
            grace_seconds=settings.shutdown_grace_seconds,
        )
    log.info("gateway stopped")
    return 0


def run(
    config: Path | None,
    *,
    listen: str | None = None,
    admin_listen: str | None = None,
    log_level: str | None = None,
    insecure_no_auth: bool = False,
    tls: Mapping[str, str] | None = None,
) -> int:
    """``llmgw serve``: load settings, install uvloop, serve. ``tls``: the
    ``--tls-*`` flags over the file's ``tls:``. ``ConfigError`` for unusable
    TLS, or auth off on a non-loopback listener without ``insecure_no_auth``
    (see ``exposure_problem``); ``OSError`` naming the address when a listen
    address is taken."""
    import uvloop

    overrides: dict[str, object] = {
        k: v
        for k, v in (("listen", listen), ("admin_listen", admin_listen), ("log_level", log_level))
        if v is not None
    }

    load = command_line_settings(config, overrides, tls)
    settings = load()
    problem = startup_problem(settings, insecure_no_auth)
    for address in (settings.listen, settings.admin_listen):
        check_free(address)  # ListenError (an OSError) naming a taken address
    secrets = [k.reveal() for s in backend_specs(settings) for k in s.api_keys]
    secrets += [settings.auth.bootstrap_admin_key.get_secret_value(), jwt_secret(settings)]
    secrets += url_passwords(settings.ledger.database_url, settings.redis_url)
    configure(settings.log_level, secrets)
    if problem:
        get_logger("llmgw").warning("authentication is off on a non-loopback listener", why=problem)
    del secrets
    return uvloop.run(serve(settings, load))


def command_line_settings(
    config: Path | None, overrides: Mapping[str, object], tls: Mapping[str, str] | None
) -> Callable[[], Settings]:
    """The loader ``serve`` uses (at start and on SIGHUP): the file and env, then
    the ``--tls-*`` flags over the file's ``tls:``, then the other flags."""

    def load() -> Settings:
        loaded = load_settings(config).model_dump(exclude_unset=True)  # what the file said
        if tls:
            loaded["tls"] = {**loaded.get("tls", {}), **tls}
        try:
            return Settings.model_validate({**loaded, **overrides})
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
            message = exc.errors()[0]["msg"]
            raise ConfigError(f"command line is invalid: {fields}: {message}") from exc

    return load


def startup_problem(settings: Settings, insecure_no_auth: bool) -> str:
    """``ConfigError`` for what stops a start (inconsistent or unusable TLS
    files, auth off on a non-loopback listener without ``insecure_no_auth``);
    else the exposure problem tolerated by ``insecure_no_auth`` (or ``""``)."""
    if settings.tls.problem():
        raise ConfigError(settings.tls.problem())
    if settings.tls.enabled:
        TlsFiles(settings.tls).read()  # unusable files: exit 2 now, not at bind time
    problem = exposure_problem(settings)
    if problem and not insecure_no_auth:
        raise ConfigError(problem)
    return problem


def check_config(
    config: Path | None,
    *,
    overrides: Mapping[str, object],
    tls: Mapping[str, str] | None = None,
    insecure_no_auth: bool = False,
) -> str:
    """``llmgw serve --check-config``: everything ``run`` checks before it binds
    a port (the file, the environment, the command line's overrides, TLS
    files, backend keys, JWT key sources, the exposure rule), without starting
    anything. Returns a one-line summary; ``ConfigError`` names the bad field."""
    settings = command_line_settings(config, overrides, tls)()
    startup_problem(settings, insecure_no_auth)
    specs = backend_specs(settings)
    jwt_secret(settings)
    jwt_public_key(settings)
    where = str(config) if config is not None else "(no file: defaults and environment)"
    return (
        f"config OK: {where}; data plane {settings.listen}, admin plane "
        f"{settings.admin_listen}; backends: {', '.join(s.name for s in specs) or 'none'}; "
        f"auth {'on' if settings.auth.active else 'off'}"
    )


def read_pem_files(*paths: str) -> list[bytes | None]:
    """The bytes of each certificate/key file (``None`` for an empty path),
    for ``llmgw health`` over TLS. ``ConfigError`` names an unreadable one."""
    found: list[bytes | None] = []
    for path in paths:
        if not path:
            found.append(None)
            continue
        try:
            found.append(Path(path).read_bytes())
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    return found
