"""Configuration reload (``SIGHUP``): re-read the file, apply what can change
at run time, audit every attempt.

Applied in place (requests already planned keep their plan):

* aliases (the file's ``aliases:`` over the built-in defaults): catalogue
  chains are replaced, an alias whose chain changed gets a new etag, an
  operator override (``SwitchBackend``) stays on an alias that remains;
* ``routing:``: strategies, ``allow_downgrade``, ``downgrade_at_percent``,
  ``latency_exploration``;
* ``prices:`` overrides, for models the gateway already serves (keys naming
  no known model are reported as ignored, not applied);
* config budgets (``budgets.global_limit``, ``global_period``, ``time_zone``,
  ``budgets``) by ``BudgetGuard.reload_config_budgets`` (admin changes win;
  spend counters are kept);
* caller rate limits (``rate_limits.tenant``, ``user``, ``tenants``,
  ``max_concurrent_streams``, ``fail_open``); counters are kept.

Every other setting (backends, listen addresses, auth, databases, Redis, the
endpoint policy, message sizes, ...) needs a restart: when it differs from
what the process started with, a warning names it (never its value) and it
is left as it is.

A file that would remove every budget or every backend must say so: the
section (``budgets:``, ``backends:``) has to be in the file, e.g.
``budgets: {}``; a file that merely lacks it (a truncated write, the wrong
file) is refused like an invalid one, and an empty file is refused by the
loader. What is compared is the configuration last applied.

An invalid file (unreadable, empty, bad YAML, fails validation) changes nothing; the
error is logged and the gateway keeps serving. Each reload appends one audit
row: action ``ReloadConfig``, target ``config``, actor the trigger
(``signal:SIGHUP``), outcome success or failure, ``after`` a summary of what
changed (names and alias chains, never a secret). Reloads run one at a time.

This module never reads files or the environment itself: ``load`` (given by
the composition root) does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from llmgw.config import (
    ConfigError,
    Settings,
    budget_definitions,
    effective_aliases,
    price_overrides,
)
from llmgw.domain.backends import BackendSpec
from llmgw.domain.ids import new_id
from llmgw.domain.money import ModelPrice
from llmgw.observability.logging import get_logger
from llmgw.pipeline.budget import BudgetGuard
from llmgw.pipeline.gateway import Gateway, RoutingSettings
from llmgw.pipeline.ratelimit import CallerDefaults, LimitSet
from llmgw.storage.audit import AuditOutcome, AuditStore

ACTION = "ReloadConfig"
SIGHUP_ACTOR = "signal:SIGHUP"
_log = get_logger("llmgw.control.reload")
# Sections reloaded as a whole, and the reloadable fields of the others.
_RELOADED = {"aliases", "prices"}
_RELOADED_FIELDS = {
    "routing": {"strategies", "allow_downgrade", "downgrade_at_percent", "latency_exploration"},
    "budgets": {"global_limit", "global_period", "time_zone", "budgets"},
    "rate_limits": {
        "tenant", "user", "tenants", "key", "keys", "max_concurrent_streams", "fail_open"
    },
}


def caller_defaults(settings: Settings) -> CallerDefaults:
    """The caller limits ``rate_limits:`` configures (start-up and reload)."""
    config = settings.rate_limits
    return CallerDefaults(
        tenant=LimitSet(**config.tenant.model_dump()),
        user=LimitSet(**config.user.model_dump()),
        tenants={name: LimitSet(**v.model_dump()) for name, v in config.tenants.items()},
        max_concurrent_streams=config.max_concurrent_streams,
        fail_open=config.fail_open,
        key=LimitSet(**config.key.model_dump()),
        keys={name: LimitSet(**v.model_dump()) for name, v in config.keys.items()},
    )


def restart_required(started: Settings, new: Settings) -> list[str]:
    """Settings that differ from ``started`` and only a restart applies
    (dotted names, e.g. ``backends``, ``budgets.webhook_url``)."""
    before, after = started.model_dump(), new.model_dump()
    found: list[str] = []
    for name in Settings.model_fields:
        if name in _RELOADED or before[name] == after[name]:
            continue
        reloadable = _RELOADED_FIELDS.get(name)
        if reloadable is None:
            found.append(name)
            continue
        found += [
            f"{name}.{sub}"
            for sub in before[name]
            if sub not in reloadable and before[name][sub] != after[name][sub]
        ]
    return found


@dataclass(frozen=True, slots=True)
class ReloadTargets:
    """What a reload changes. ``specs`` are the configured backends (the
    default alias chains are derived from them); ``guard`` and ``audit`` may
    be absent (no budgets store / no audit store in a bare test setup)."""

    gateway: Gateway
    specs: Sequence[BackendSpec]
    guard: BudgetGuard | None = None
    audit: AuditStore | None = None


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """``ok`` false: nothing was applied (``error`` says why)."""

    ok: bool
    changes: Mapping[str, Any] = field(default_factory=dict)
    restart_required: tuple[str, ...] = ()
    error: str = ""


class ConfigReloader:
    """Reloads the configuration on demand (``reload``) or from a signal
    handler (``trigger``); see the module docstring for what changes."""

    def __init__(
        self,
        load: Callable[[], Settings],
        started: Settings,
        targets: ReloadTargets,
        actor: str = SIGHUP_ACTOR,
    ) -> None:
        self._load = load
        self._started = started
        self._current = started  # the configuration last applied
        self._targets = targets
        self._actor = actor
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[ReloadResult]] = set()

    def trigger(self) -> None:
        """Start a reload in the background (for ``loop.add_signal_handler``)."""
        task = asyncio.get_running_loop().create_task(self.reload(), name="config-reload")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Wait for reloads in progress (call before the stores close)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def reload(self) -> ReloadResult:
        """Re-read, apply, audit; never raises for a bad file or a failed apply."""
        async with self._lock:
            try:
                new = self._load()
            except Exception as exc:  # ConfigError, or anything else: keep serving
                text = str(exc) if isinstance(exc, ConfigError) else type(exc).__name__
                result = ReloadResult(False, error=_public(text))
                _log.error("config_reload_failed", error=result.error)
            else:
                result = await self._apply(new)
            await self._record(result)
            return result

    async def _apply(self, new: Settings) -> ReloadResult:
        targets = self._targets
        gateway = targets.gateway
        restart = tuple(restart_required(self._started, new))
        if restart:
            _log.warning("config_reload_needs_restart", settings=list(restart))
        try:  # everything derived before anything changes
            _refuse_unsaid_removals(self._current, new)
            aliases = effective_aliases(new, list(targets.specs))
            overrides = price_overrides(new)
            budgets = budget_definitions(new)
            defaults = caller_defaults(new)
            routing = _routing(gateway.routing, new)
        except (ConfigError, ValueError) as exc:
            error = _public(str(exc))
            _log.error("config_reload_failed", error=error)
            return ReloadResult(False, restart_required=restart, error=error)
        changes: dict[str, Any] = {}
        if targets.guard is not None:  # the only step with I/O: first, so a failure changes less
            try:
                written = await targets.guard.reload_config_budgets(budgets)
            except Exception as exc:
                _log.error("config_reload_failed", step="budgets", error=repr(exc))
                return ReloadResult(
                    False, restart_required=restart, error=f"budgets: {type(exc).__name__}"
                )
            budget_changes = {
                "written": list(written.written),
                "removed": list(written.removed),
                "admin_kept": list(written.admin_kept),
            }
            if any(budget_changes.values()):
                changes["budgets"] = budget_changes
        changes.update(_apply_in_memory(gateway, aliases, routing, overrides, defaults))
        self._current = new
        _log.info("config_reloaded", changes=changes, restart_required=list(restart))
        return ReloadResult(True, changes, restart)

    async def _record(self, result: ReloadResult) -> None:
        summary: dict[str, Any] = dict(result.changes)
        if result.restart_required:
            summary["restart_required"] = list(result.restart_required)
        if result.error:
            summary["error"] = result.error
        if self._targets.audit is None:
            return
        try:
            await self._targets.audit.append(
                actor=self._actor,
                action=ACTION,
                target="config",
                outcome=AuditOutcome.SUCCESS if result.ok else AuditOutcome.FAILURE,
                after=summary,
                request_id=new_id(),
            )
        except Exception as exc:  # the reload stands; the missing row is logged
            _log.error("config_reload_audit_failed", error=repr(exc))


def _apply_in_memory(
    gateway: Gateway,
    aliases: Mapping[str, Sequence[str]],
    routing: RoutingSettings,
    overrides: Mapping[str, ModelPrice],
    defaults: CallerDefaults,
) -> dict[str, Any]:
    """Aliases, routing, prices and caller limits (no I/O, cannot fail
    halfway); returns what changed, by section."""
    changes: dict[str, Any] = {}
    before = _chains(gateway)
    gateway.catalog.set_aliases(aliases)
    alias_changes = _alias_diff(before, _chains(gateway))
    if alias_changes:
        changes["aliases"] = alias_changes
    routed = [
        name
        for name in ("strategies", "exploration", "allow_downgrade", "downgrade_at_percent")
        if getattr(routing, name) != getattr(gateway.routing, name)
    ]
    gateway.set_routing(routing)
    if routed:
        changes["routing"] = routed
    repriced, ignored = gateway.prices.reprice(overrides)
    if repriced or ignored:
        changes["prices"] = {"changed": repriced, "ignored": ignored}
        if ignored:
            _log.warning("config_reload_prices_ignored", unknown_models=ignored)
    limits = gateway.limits
    if limits is not None and limits.defaults != defaults:
        changes["rate_limits"] = [
            name
            for name in ("tenant", "user", "tenants", "max_concurrent_streams", "fail_open")
            if getattr(limits.defaults, name) != getattr(defaults, name)
        ]
        limits.set_defaults(defaults)
    return changes


def _refuse_unsaid_removals(current: Settings, new: Settings) -> None:
    """``ConfigError`` when ``new`` drops every budget or every backend of
    ``current`` without naming the section (see the module docstring)."""
    unsaid = [
        section
        for section, had, has in (
            ("budgets", bool(budget_definitions(current)), bool(budget_definitions(new))),
            ("backends", bool(current.backends), bool(new.backends)),
        )
        if had and not has and section not in new.model_fields_set
    ]
    if unsaid:
        raise ConfigError(
            f"the file removes every entry of {', '.join(unsaid)} without naming the section; "
            "write it explicitly (e.g. budgets: {}) to remove them"
        )


def _routing(current: RoutingSettings, new: Settings) -> RoutingSettings:
    config = new.routing
    return replace(
        current,
        strategies=dict(config.strategies),
        exploration=config.latency_exploration,
        allow_downgrade=frozenset(config.allow_downgrade),
        downgrade_at_percent=config.downgrade_at_percent,
    )


def _chains(gateway: Gateway) -> dict[str, list[str]]:
    return {
        alias: [f"{t.backend}/{t.model.id}" for t in targets]
        for alias, targets in gateway.catalog.aliases.items()
    }


def _alias_diff(before: Mapping[str, list[str]], after: Mapping[str, list[str]]) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    added = {a: refs for a, refs in after.items() if a not in before}
    changed = {a: refs for a, refs in after.items() if a in before and before[a] != refs}
    removed = sorted(a for a in before if a not in after)
    if added:
        diff["added"] = added
    if changed:
        diff["changed"] = changed
    if removed:
        diff["removed"] = removed
    return diff


def _public(text: str) -> str:
    """The error without quoted file content: YAML errors show the offending
    lines of the file (indented, under ``in "<file>", line N``), which may hold
    a literal key. Validation errors (``  path: message``) are kept whole."""
    if not text:
        return "invalid configuration"
    lines = text.splitlines()
    if text.startswith("cannot read config file"):
        lines = [ln for ln in lines if not ln.startswith(" ") or ln.lstrip().startswith("in ")]
    return "\n".join(lines)[:2000]


__all__ = [
    "ACTION",
    "SIGHUP_ACTOR",
    "ConfigReloader",
    "ReloadResult",
    "ReloadTargets",
    "caller_defaults",
    "restart_required",
]
