"""Operator control of circuit breakers: take a backend out, put it back.

``force_open`` holds the breaker of each selected (backend, model) open until
``reset``: the planner moves those targets behind healthy ones and the attempt
loop refuses them without a call (each refusal counted). ``reset`` closes
them and clears their failure counts, so traffic returns at once instead of
after a cool-down and ``success_threshold`` probes.

A selection is a backend (every model it serves) or one of its models.
Breakers are created on demand, with the backend's configured policy, so a
backend that has seen no traffic yet can be taken out before it does. Like
the breakers themselves, a forced state belongs to this process: with several
replicas the operator calls each one (their breakers judge their own traffic).
Auditing is the admin handler's job (``api.admin.breakers``).
"""

from __future__ import annotations

from llmgw.domain.errors import BackendNotFoundError, ModelNotFoundError
from llmgw.pipeline.breaker import BreakerSnapshot, CircuitBreaker
from llmgw.pipeline.catalog import Catalog
from llmgw.pipeline.resilience import AttemptLoop


class BreakerControl:
    """Force open / reset the breakers of a backend or of one of its models."""

    def __init__(self, loop: AttemptLoop, catalog: Catalog) -> None:
        self._loop = loop
        self._catalog = catalog

    def force_open(self, backend: str, model_id: str = "") -> dict[str, BreakerSnapshot]:
        """Hold the selected breakers open; their snapshots by model id."""
        selected = self._select(backend, model_id)
        for breaker in selected.values():
            breaker.force_open()
        return {model: breaker.snapshot() for model, breaker in selected.items()}

    def reset(self, backend: str, model_id: str = "") -> dict[str, BreakerSnapshot]:
        """Close the selected breakers; their snapshots by model id."""
        selected = self._select(backend, model_id)
        for breaker in selected.values():
            breaker.reset()
        return {model: breaker.snapshot() for model, breaker in selected.items()}

    def _select(self, backend: str, model_id: str) -> dict[str, CircuitBreaker]:
        models = [m for m in self._catalog.models if m.backend == backend]
        if not models:
            raise BackendNotFoundError(f"backends/{backend}")
        if model_id:
            models = [m for m in models if m.id == model_id]
            if not models:
                raise ModelNotFoundError(model_id)
        policy = self._loop.policies_for(backend).breaker
        return {m.id: self._loop.breakers.get(backend, m.id, policy) for m in models}


__all__ = ["BreakerControl"]
