"""The caller's response-cache policy (``RoutingOptions.cache_policy``).

``UNSPECIFIED`` means the route's configured default; ``BYPASS`` neither
reads nor writes; ``READ_WRITE`` serves a stored answer no older than
``max_age_seconds`` (``None``: the route default) and stores a new one;
``REFRESH`` skips the read and overwrites the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CacheMode(StrEnum):
    UNSPECIFIED = "unspecified"
    BYPASS = "bypass"
    READ_WRITE = "read_write"
    REFRESH = "refresh"


@dataclass(frozen=True, slots=True)
class CachePolicy:
    mode: CacheMode = CacheMode.UNSPECIFIED
    max_age_seconds: float | None = None
