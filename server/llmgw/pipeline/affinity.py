"""Sticky replicas: the same ``prompt_cache_key`` goes to the same backend.

When several backends serve the same model (a pool of vLLM replicas behind
one alias), a request carrying ``CachePolicy.prompt_cache_key`` should land
where its prefix is already cached. ``sticky`` reorders, within each model,
the backends serving it by rendezvous (highest-random-weight) hashing of
``(key, backend)``: consistent hashing without a ring.

===========================================  ===================================
situation                                    order of that model's targets
===========================================  ===================================
no key, or the model on one backend only     unchanged (the strategy's order)
key set                                      by descending hash of (key, backend)
a replica unhealthy (breaker open)           behind every healthy replica; only
                                             the keys it owned move, each to its
                                             own next replica (the others stay)
a replica added or removed                   only keys whose top replica
                                             changed move
===========================================  ===================================

The places the strategy gave to a model's targets stay that model's: the
strategy still decides which model goes first, the key only which replica.
Pure: no I/O, no clock; ``healthy`` says which targets may be tried first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from llmgw.domain.models import Target


def weight(key: str, backend: str) -> int:
    """The rendezvous weight of ``backend`` for ``key`` (stable across processes)."""
    digest = hashlib.blake2b(f"{key}\x00{backend}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def sticky(targets: Sequence[Target], key: str, healthy: Callable[[Target], bool]) -> list[Target]:
    """``targets`` with each model's replicas in the key's order (table above)."""
    if not key:
        return list(targets)
    by_model: dict[str, list[Target]] = {}
    for target in targets:
        by_model.setdefault(target.model.id, []).append(target)
    if all(len(group) < 2 for group in by_model.values()):
        return list(targets)
    queues = {
        model: sorted(group, key=lambda t: (not healthy(t), -weight(key, t.backend)))
        for model, group in by_model.items()
    }
    return [queues[target.model.id].pop(0) for target in targets]


__all__ = ["sticky", "weight"]
