"""The model catalogue and alias resolution.

Callers name a model three ways: an alias (``sonnet``, ``default``), a model id
(``gpt-4o-mini``; every backend serving it is a target, in registration order)
or ``backend/model`` to pin one backend. Resolution is a lookup in maps built
at start-up (extended by ``add_models`` when a backend is created, aliases
replaced by ``set_aliases`` on a configuration reload), plus the operator's
route overrides (``SwitchBackend``): an override puts its target first on the
alias's chain until it expires or is replaced; the rest of the chain stays behind it as fallback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from llmgw.domain.errors import ModelNotFoundError
from llmgw.domain.models import ModelInfo, Target


@dataclass(frozen=True, slots=True)
class RouteOverride:
    """A switch made by an operator; ``expires_at`` (epoch seconds) None = sticky."""

    target: Target
    reason: str
    actor: str
    created_at: float
    expires_at: float | None = None

    def active(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True, slots=True)
class Plan:
    """Ordered targets for one request; ``alias`` is empty for direct model ids."""

    alias: str
    targets: tuple[Target, ...]


class Catalog:
    """Models by id and by ``backend/id``, and aliases -> ordered model refs.

    Alias refs that name nothing registered are skipped (a provider without a
    key is simply absent); an alias left with no target does not resolve.
    """

    def __init__(
        self,
        models: Iterable[ModelInfo],
        aliases: Mapping[str, Sequence[str]],
        wall: Callable[[], float] = time.time,  # expires overrides; injected in tests
    ) -> None:
        self._wall = wall
        # Bumped by every change of what a name resolves to (models added,
        # aliases replaced, overrides set or expired): plans cached per name
        # (``pipeline.plan``) hold only while it is unchanged.
        self.version = 0
        self._models: tuple[ModelInfo, ...] = ()
        self._by_ref: dict[str, list[ModelInfo]] = {}
        self.add_models(models)
        self._aliases: dict[str, tuple[Target, ...]] = self._resolve_aliases(aliases)
        self._overrides: dict[str, RouteOverride] = {}
        self._versions: dict[str, int] = dict.fromkeys(self._aliases, 1)

    def add_models(self, models: Iterable[ModelInfo]) -> None:
        """Register models (a backend created at run time): ``model`` and
        ``backend/model`` resolve to them at once, a bare id after the models
        already serving it. Aliases are not touched."""
        added = tuple(models)
        for model in added:
            self._by_ref.setdefault(model.id, []).append(model)
            self._by_ref.setdefault(f"{model.backend}/{model.id}", []).append(model)
        self._models += added
        self.version += 1

    def set_aliases(self, aliases: Mapping[str, Sequence[str]]) -> None:
        """Replace every alias (configuration reload), same rules as at start.

        An alias whose chain changed gets a new etag; an operator override
        stays on an alias that still exists and is dropped with one removed.
        """
        resolved = self._resolve_aliases(aliases)
        for alias in set(self._aliases) - set(resolved):
            self._overrides.pop(alias, None)
            self._versions.pop(alias, None)
        for alias, targets in resolved.items():
            if alias not in self._versions:
                self._versions[alias] = 1
            elif self._aliases.get(alias) != targets:
                self._versions[alias] += 1
        self._aliases = resolved
        self.version += 1

    def _resolve_aliases(
        self, aliases: Mapping[str, Sequence[str]]
    ) -> dict[str, tuple[Target, ...]]:
        found: dict[str, tuple[Target, ...]] = {}
        for alias, refs in aliases.items():
            targets = tuple(
                Target(model, alias) for ref in refs for model in self._by_ref.get(ref, ())
            )
            if targets:
                found[alias] = targets
        return found

    @property
    def models(self) -> tuple[ModelInfo, ...]:
        return self._models

    @property
    def overridden(self) -> bool:
        """Whether some alias has an operator override (which may expire any time)."""
        return bool(self._overrides)

    @property
    def aliases(self) -> Mapping[str, tuple[Target, ...]]:
        return self._aliases

    def resolve(self, name: str) -> Plan:
        """Targets for ``name``; raises ``ModelNotFoundError`` when nothing matches."""
        targets = self._aliases.get(name)
        if targets is not None:
            if self._overrides:
                return Plan(name, self.route(name))
            return Plan(name, targets)
        models = self._by_ref.get(name)
        if models:
            return Plan("", tuple(Target(m) for m in models))
        raise ModelNotFoundError(name)

    def route(self, alias: str) -> tuple[Target, ...]:
        """The alias's current chain: an active override first, then the rest."""
        targets = self._aliases[alias]
        override = self._overrides.get(alias)
        if override is None:
            return targets
        if not override.active(self._wall()):
            del self._overrides[alias]
            self._versions[alias] += 1
            self.version += 1
            return targets
        first = override.target
        return (first, *(t for t in targets if t.model != first.model))

    def override(self, alias: str) -> RouteOverride | None:
        """The alias's active override, if any (expired ones are dropped)."""
        self.route(alias)
        return self._overrides.get(alias)

    def etag(self, alias: str) -> str:
        """Changes whenever the alias's effective chain changes."""
        self.route(alias)
        return f"{alias}-v{self._versions[alias]}"

    def switch(self, alias: str, override: RouteOverride) -> None:
        """Put ``override.target`` first on ``alias`` (replaces any earlier switch)."""
        self._overrides[alias] = override
        self._versions[alias] += 1
        self.version += 1

    def find(self, backend: str, model_id: str) -> ModelInfo | None:
        """The model ``model_id`` on ``backend``, if that backend serves it."""
        return next((m for m in self._by_ref.get(model_id, ()) if m.backend == backend), None)

    def aliases_of(self, model: ModelInfo) -> tuple[str, ...]:
        """Aliases having ``model`` among their targets, sorted."""
        return tuple(
            sorted(a for a, ts in self._aliases.items() if any(t.model == model for t in ts))
        )


__all__ = ["Catalog", "Plan", "RouteOverride"]
