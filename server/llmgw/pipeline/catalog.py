"""The model catalogue and alias resolution.

Callers name a model three ways: an alias (``sonnet``, ``default``), a model id
(``gpt-4o-mini``; every backend serving it is a target, in registration order)
or ``backend/model`` to pin one backend. Resolution is a pure lookup in maps
built once at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from llmgw.domain.errors import ModelNotFoundError
from llmgw.domain.models import ModelInfo, Target


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

    def __init__(self, models: Iterable[ModelInfo], aliases: Mapping[str, Sequence[str]]) -> None:
        self._models = tuple(models)
        self._by_ref: dict[str, list[ModelInfo]] = {}
        for model in self._models:
            self._by_ref.setdefault(model.id, []).append(model)
            self._by_ref.setdefault(f"{model.backend}/{model.id}", []).append(model)
        self._aliases: dict[str, tuple[Target, ...]] = {}
        for alias, refs in aliases.items():
            targets = tuple(
                Target(model, alias) for ref in refs for model in self._by_ref.get(ref, ())
            )
            if targets:
                self._aliases[alias] = targets

    @property
    def models(self) -> tuple[ModelInfo, ...]:
        return self._models

    @property
    def aliases(self) -> Mapping[str, tuple[Target, ...]]:
        return self._aliases

    def resolve(self, name: str) -> Plan:
        """Targets for ``name``; raises ``ModelNotFoundError`` when nothing matches."""
        targets = self._aliases.get(name)
        if targets is not None:
            return Plan(name, targets)
        models = self._by_ref.get(name)
        if models:
            return Plan("", tuple(Target(m) for m in models))
        raise ModelNotFoundError(name)

    def aliases_of(self, model: ModelInfo) -> tuple[str, ...]:
        """Aliases having ``model`` among their targets, sorted."""
        return tuple(
            sorted(a for a, ts in self._aliases.items() if any(t.model == model for t in ts))
        )
