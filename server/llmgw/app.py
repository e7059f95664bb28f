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
import dataclasses
import ipaddress
import os
import signal
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from llmgw.accounting.catalogue import CatalogueRef, Listing
from llmgw.api.admin.costs import CostPlane
from llmgw.api.edge import edge_telemetry
from llmgw.api.listen_check import check_free
from llmgw.api.server import GatewayServers, ServerParts
from llmgw.compose.accounting import accountant, cost_plane, listing_prices, price_book
from llmgw.compose.authentication import authentication
from llmgw.compose.routing import LOCAL_PRESETS as LOCAL_PRESETS
from llmgw.compose.routing import routing_settings
from llmgw.compose.serving import (
    async_redis_url,
    caller_limits,
    server_options,
    with_port,
)
from llmgw.config import (
    ConfigError,
    Settings,
    backend_specs,
    effective_aliases,
    jwt_public_key,
    jwt_secret,
    load_settings,
    state_database_url,
    tracing_configured,
)
from llmgw.config.serving import (
    exposure_problem,
    shutdown_delay,
    url_passwords,
)
from llmgw.config.tls_files import TlsFiles
from llmgw.control.probes import Prober
from llmgw.control.reload import ConfigReloader, ReloadTargets
from llmgw.domain.backends import BackendSpec
from llmgw.domain.clock import Clock, SystemClock
from llmgw.domain.credentials import EnvCredentialPolicy, EnvCredentials
from llmgw.observability.logging import configure, get_logger
from llmgw.observability.tracing import Tracing
from llmgw.outbound.dns import SystemResolver
from llmgw.outbound.endpoint_guard import EndpointGuard, EndpointPolicy
from llmgw.pipeline.cache.build import answer_steps
from llmgw.pipeline.catalog import Catalog
from llmgw.pipeline.chain import Step
from llmgw.pipeline.gateway import Backends, Gateway
from llmgw.pipeline.keys import KeyPool
from llmgw.pipeline.loader import load_steps
from llmgw.pipeline.resilience import AttemptLoop, BackendPolicies
from llmgw.pipeline.token_count import TokenCounter
from llmgw.providers.base import Provider
from llmgw.providers.registry import build_provider
from llmgw.storage.audit import AuditStore
from llmgw.storage.database import Database, open_database
from llmgw.telemetry import Watched, monitoring, telemetry_for, version


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
    front: Sequence[Step] = (),
    tracing: Tracing | None = None,
    listed: Mapping[CatalogueRef, Listing] | None = None,
) -> Built:
    """Build providers, catalogue, prices and the pipeline from settings; the
    accountant bills to ``costs`` (ledger, budget guard) when given; the
    pipeline's time (breakers, backoff, latency) is ``clock`` (tests drive it);
    ``front`` steps (idempotency, response cache) open the data-plane chains;
    ``listed`` holds the catalogue prices (``list_prices``; else looked up here).

    Per-key counters go to Redis when ``redis_url`` is set (shared by every
    replica), else they stay in this process.
    """
    clock = clock or SystemClock()
    key_storage = None
    if settings.redis_url:  # the ``limits`` library loads only when it counts somewhere shared
        from limits.aio.storage import RedisStorage

        key_storage = RedisStorage(async_redis_url(settings.redis_url))
    specs = tuple(backend_specs(settings, env))
    _check_buildable(settings, specs)
    providers = {spec.name: build_provider(spec) for spec in specs}
    models = [m for spec in specs for m in spec.models]
    catalog = Catalog(models, effective_aliases(settings, list(specs)))
    prices = price_book(settings, specs, models, listed)
    attempts = AttemptLoop(
        {spec.name: BackendPolicies(spec.retry, spec.breaker) for spec in specs}, clock
    )
    routing = routing_settings(settings, specs)
    pools = {spec.name: KeyPool(spec.name, spec.key_pool(), clock, key_storage) for spec in specs}
    first_token = {s.name: s.first_token_timeout for s in specs if s.first_token_timeout}
    gateway = Gateway(
        Backends(catalog, providers, prices, attempts, pools, first_token),
        routing,
        accountant=accountant(settings, prices, costs, clock),
        limits=caller_limits(settings, key_storage),
        custom_steps=load_steps(settings.pipeline.steps, settings.pipeline.entry_points),
        clock=clock,
        front_steps=front,
        telemetry=telemetry_for(
            settings.observability, {s.name: s.preset or s.name for s in specs}, tracing
        ),
    )
    prober = Prober(providers, interval=settings.probe_interval_seconds)
    return Built(gateway, providers, specs, prober, TokenCounter(providers, catalog, prices))


def _check_buildable(settings: Settings, specs: tuple[BackendSpec, ...]) -> None:
    """``ConfigError`` for a required backend that is not configured, or an
    inconsistent ``tls:`` section."""
    unknown = set(settings.required_backends) - {spec.name for spec in specs}
    if unknown:
        raise ConfigError(f"required_backends: no backend named {', '.join(sorted(unknown))}")
    if settings.tls.problem():
        raise ConfigError(settings.tls.problem())


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


@asynccontextmanager
async def _serving(
    settings: Settings,
    env: Mapping[str, str] | None,
    state_db: Database,
    stack: AsyncExitStack,
    time_and_traces: tuple[Clock | None, Tracing | None] = (None, None),
) -> AsyncIterator[Running]:
    specs = backend_specs(settings, env)
    vllm = [s.name for s in specs if (s.preset or s.name) == "vllm"]
    clock, tracing = time_and_traces
    listing = listing_prices(specs, stack)  # a child process, beside the I/O below
    costs = await cost_plane(settings, state_db, vllm, stack)
    front = await answer_steps(settings, state_db, stack, costs.ledger, clock)
    built = build(settings, env, costs, clock, front, tracing, await listing)
    authenticator, key_admin = await authentication(settings, env, state_db, stack)
    audit = await AuditStore.open(state_db)
    edge = edge_telemetry(built.gateway.telemetry, tracing)
    servers = GatewayServers(
        built.gateway,
        server_options(settings, built.token_counter, edge),
        ServerParts(
            built.specs,
            built.prober,
            build_provider,
            costs,
            audit=audit,
            endpoints=endpoint_guard(settings),
            authenticator=authenticator,
            key_admin=key_admin,
            credentials=env_credentials(settings, env),
        ),
    )
    try:
        built.prober.start()
        data_port, admin_port = await servers.start()
        yield Running(
            with_port(settings.listen, data_port),
            with_port(settings.admin_listen, admin_port),
            servers,
            built,
            audit,
            costs,
        )
    finally:
        await servers.shutdown(shutdown_delay(settings), settings.shutdown_grace_seconds)
        await built.prober.stop()
        await asyncio.gather(*(p.aclose() for p in built.providers.values()))


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


def endpoint_guard(settings: Settings) -> EndpointGuard:
    """The admin plane's SSRF guard (``endpoints:``) over the system resolver."""
    config = settings.endpoints
    policy = EndpointPolicy(
        allowed_hosts=tuple(config.allowed_hosts),
        deny_networks=tuple(ipaddress.ip_network(c, strict=False) for c in config.deny_cidrs),
        allow_private=config.allow_private,
    )
    return EndpointGuard(policy, SystemResolver())


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
    metrics_listen: str | None = None,
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

    nested: dict[str, Mapping[str, object]] = {"tls": tls or {}}
    if metrics_listen is not None:
        nested["observability"] = {"metrics_listen": metrics_listen}
    load = command_line_settings(config, overrides, nested)
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
    config: Path | None,
    overrides: Mapping[str, object],
    nested: Mapping[str, Mapping[str, object]] | None = None,
) -> Callable[[], Settings]:
    """The loader ``serve`` uses (at start and on SIGHUP): the file and env,
    then the flags of a section (``--tls-*`` over ``tls:``, ``--metrics-listen``
    over ``observability:``), then the other flags."""

    def load() -> Settings:
        loaded = load_settings(config).model_dump(exclude_unset=True)  # what the file said
        for section, flags in (nested or {}).items():
            if flags:
                loaded[section] = {**loaded.get(section, {}), **flags}
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
    settings = command_line_settings(config, overrides, {"tls": tls or {}})()
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
