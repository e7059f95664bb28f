"""Built-in data: the simulated ``demo`` backend and the default alias chains."""

from __future__ import annotations

from llmgw.domain.backends import BackendKind, BackendSpec
from llmgw.domain.models import Capability, ModelInfo, ModelType

DEMO_BACKEND = "demo"
DEMO_MODELS = (
    ModelInfo(
        id="demo-chat",
        backend=DEMO_BACKEND,
        upstream_id="demo-chat",
        display_name="Demo chat (simulated, canned answers)",
        capabilities=frozenset({Capability.STREAMING}),
        context_window=32_768,
        max_output_tokens=4_096,
        simulated=True,
    ),
    ModelInfo(
        id="demo-embedding",
        backend=DEMO_BACKEND,
        upstream_id="demo-embedding",
        type=ModelType.EMBEDDING,
        display_name="Demo embeddings (simulated, hash vectors)",
        capabilities=frozenset({Capability.EMBEDDINGS}),
        context_window=8_192,
        max_batch_size=256,
        simulated=True,
    ),
)


def demo_spec() -> BackendSpec:
    """The built-in simulated backend: no network, canned answers, clearly labelled."""
    return BackendSpec(
        name=DEMO_BACKEND, kind=BackendKind.DEMO, base_url="demo://local", models=DEMO_MODELS
    )


# Alias -> ordered refs ("model" or "backend/model"). Refs to unregistered
# backends are skipped, so the same table serves every key combination.
TIER_ALIASES: dict[str, tuple[str, ...]] = {
    "haiku": ("anthropic/claude-haiku-4-5",),
    "sonnet": ("anthropic/claude-sonnet-4-5",),
    "opus": ("anthropic/claude-opus-4-1",),
}
DEFAULT_CHAIN = (
    "openai/gpt-4o-mini",
    "anthropic/claude-haiku-4-5",
    "vllm",
    "mistral/mistral-small-latest",
    "together",
    "openrouter",
    "ollama",
    "demo/demo-chat",
)
DEFAULT_EMBEDDING_CHAIN = ("openai/text-embedding-3-small", "demo/demo-embedding")
