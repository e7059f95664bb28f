"""What the gateway can serve: models, their capabilities and where they run."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ModelType(StrEnum):
    CHAT = "chat"
    EMBEDDING = "embedding"


class Capability(StrEnum):
    """Features a model may support; routing filters on these before any call."""

    STREAMING = "streaming"
    TOOLS = "tools"
    JSON_SCHEMA = "json_schema"
    VISION = "vision"
    AUDIO_INPUT = "audio_input"
    REASONING = "reasoning"
    LOGPROBS = "logprobs"
    SEED = "seed"
    GUIDED_DECODING = "guided_decoding"
    EMBEDDINGS = "embeddings"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A servable model on one backend.

    ``id`` is what callers put in ``model`` (unique across the gateway, e.g.
    ``gpt-4o-mini``); ``upstream_id`` is what the backend's API expects.
    ``simulated`` marks the built-in demo backend, whose answers are canned.
    ``quality_tier`` ranks models for the quality strategy (0 = unknown);
    ``tier`` names the equivalence group (``"fast"``, ``""`` = none) that
    ``FALLBACK_MODE_EQUIVALENT`` keeps a request within.
    """

    id: str
    backend: str
    upstream_id: str
    type: ModelType = ModelType.CHAT
    display_name: str = ""
    capabilities: frozenset[Capability] = frozenset()
    context_window: int = 0
    max_output_tokens: int = 0
    max_batch_size: int = 0
    simulated: bool = False
    quality_tier: int = 0  # higher is better (the quality strategy's ranking)
    tier: str = ""  # equivalence group: ``fallback_mode: equivalent`` stays within it


@dataclass(frozen=True, slots=True)
class Target:
    """One place a request can go: a model on a backend, reached through an alias."""

    model: ModelInfo
    alias: str = ""

    @property
    def backend(self) -> str:
        return self.model.backend
