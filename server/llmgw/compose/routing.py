"""The routing sub-system's settings: the file's ``routing:`` section plus
what the backends say (local presets, concurrency caps)."""

from __future__ import annotations

from collections.abc import Sequence

from llmgw.config import Settings
from llmgw.domain.backends import BackendSpec
from llmgw.pipeline.gateway import RoutingSettings

LOCAL_PRESETS = ("vllm", "ollama")  # what local_first routing prefers


def routing_settings(settings: Settings, specs: Sequence[BackendSpec]) -> RoutingSettings:
    presets = {spec.name: spec.preset or spec.name for spec in specs}
    return RoutingSettings(
        strategies=dict(settings.routing.strategies),
        local_backends=frozenset(n for n, p in presets.items() if p in LOCAL_PRESETS),
        max_in_flight={s.name: s.max_concurrent_requests for s in specs},
        exploration=settings.routing.latency_exploration,
        allow_downgrade=frozenset(settings.routing.allow_downgrade),
        downgrade_at_percent=settings.routing.downgrade_at_percent,
    )


__all__ = [
    "LOCAL_PRESETS",
    "routing_settings",
]
