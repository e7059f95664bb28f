"""Known backends as data rows: how each is reached and what it serves by default.

A preset is registered when its key or endpoint variable is set (see
``llmgw.config``). OpenAI-compatible engines differ only in these rows; they
share one adapter. Model rows are defaults that a config file can replace.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmgw.domain.backends import BackendKind
from llmgw.domain.models import Capability, ModelInfo, ModelType

_CHAT = frozenset({Capability.STREAMING})
_TOOLS = _CHAT | {Capability.TOOLS, Capability.JSON_SCHEMA}
_FRONTIER = _TOOLS | {Capability.VISION}
_EMBED = frozenset({Capability.EMBEDDINGS})


@dataclass(frozen=True, slots=True)
class Preset:
    """One known backend: wire protocol, default URL, env variables, models.

    ``api_prefix`` is appended to a user-given endpoint that lacks it (users
    write ``VLLM_ENDPOINT=http://gpu:8000`` as often as ``.../v1``).
    """

    name: str
    kind: BackendKind
    default_base_url: str
    api_key_env: str = ""
    endpoint_env: str = ""
    model_env: str = ""
    health_path: str = ""
    api_prefix: str = ""
    capabilities: frozenset[Capability] = _CHAT
    models: tuple[ModelInfo, ...] = ()

    def endpoint(self, value: str) -> str:
        """Normalise a user-given endpoint (strip ``/``, add ``api_prefix``)."""
        value = value.rstrip("/")
        if self.api_prefix and not value.endswith(self.api_prefix):
            value += self.api_prefix
        return value


def _chat(
    backend: str,
    model_id: str,
    *,
    caps: frozenset[Capability] = _TOOLS,
    context: int = 128_000,
    output: int = 16_384,
    upstream: str = "",
    name: str = "",
    tier: int = 1,
) -> ModelInfo:
    return ModelInfo(
        id=model_id,
        backend=backend,
        upstream_id=upstream or model_id,
        display_name=name or model_id,
        capabilities=caps,
        context_window=context,
        max_output_tokens=output,
        quality_tier=tier,
    )


def _embedding(
    backend: str, model_id: str, *, context: int = 8_192, batch: int = 2048
) -> ModelInfo:
    return ModelInfo(
        id=model_id,
        backend=backend,
        upstream_id=model_id,
        type=ModelType.EMBEDDING,
        display_name=model_id,
        capabilities=_EMBED,
        context_window=context,
        max_batch_size=batch,
    )


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="openai",
            kind=BackendKind.OPENAI,
            default_base_url="https://api.openai.com/v1",
            api_key_env="OPENAI_API_KEY",
            endpoint_env="OPENAI_BASE_URL",
            capabilities=_FRONTIER,
            models=(
                _chat("openai", "gpt-4o-mini", caps=_FRONTIER),
                _chat("openai", "gpt-4o", caps=_FRONTIER, tier=2),
                _chat("openai", "gpt-4.1-mini", caps=_FRONTIER, context=1_047_576, output=32_768),
                _chat(
                    "openai", "gpt-4.1", caps=_FRONTIER, context=1_047_576, output=32_768, tier=2
                ),
                _embedding("openai", "text-embedding-3-small"),
                _embedding("openai", "text-embedding-3-large"),
            ),
        ),
        Preset(
            name="anthropic",
            kind=BackendKind.ANTHROPIC,
            default_base_url="https://api.anthropic.com",
            api_key_env="ANTHROPIC_API_KEY",
            endpoint_env="ANTHROPIC_BASE_URL",
            capabilities=_FRONTIER,
            models=(
                _chat(
                    "anthropic",
                    "claude-haiku-4-5",
                    caps=_FRONTIER,
                    context=200_000,
                    output=64_000,
                    name="Claude Haiku 4.5",
                ),
                _chat(
                    "anthropic",
                    "claude-sonnet-4-5",
                    caps=_FRONTIER,
                    context=200_000,
                    output=64_000,
                    name="Claude Sonnet 4.5",
                ),
                _chat(
                    "anthropic",
                    "claude-opus-4-1",
                    caps=_FRONTIER,
                    context=200_000,
                    output=32_000,
                    name="Claude Opus 4.1",
                ),
            ),
        ),
        Preset(
            name="mistral",
            kind=BackendKind.OPENAI_COMPATIBLE,
            default_base_url="https://api.mistral.ai/v1",
            api_key_env="MISTRAL_API_KEY",
            models=(
                _chat("mistral", "mistral-small-latest"),
                _chat("mistral", "mistral-large-latest", tier=2),
                _embedding("mistral", "mistral-embed", batch=512),
            ),
        ),
        Preset(
            name="together",
            kind=BackendKind.OPENAI_COMPATIBLE,
            default_base_url="https://api.together.xyz/v1",
            api_key_env="TOGETHER_API_KEY",
            models=(
                _chat(
                    "together",
                    "meta-llama/Llama-3.3-70B-Instruct-Turbo",
                    context=131_072,
                    output=8_192,
                ),
            ),
        ),
        Preset(
            name="openrouter",
            kind=BackendKind.OPENAI_COMPATIBLE,
            default_base_url="https://openrouter.ai/api/v1",
            api_key_env="OPENROUTER_API_KEY",
            models=(_chat("openrouter", "openrouter/auto", name="OpenRouter auto router"),),
        ),
        Preset(
            name="ollama",
            kind=BackendKind.OPENAI_COMPATIBLE,
            default_base_url="http://localhost:11434/v1",
            endpoint_env="OLLAMA_BASE_URL",
            api_prefix="/v1",
            models=(_chat("ollama", "llama3.2", context=131_072, output=8_192),),
        ),
        Preset(
            name="vllm",
            kind=BackendKind.OPENAI_COMPATIBLE,
            default_base_url="http://localhost:8000/v1",
            endpoint_env="VLLM_ENDPOINT",
            model_env="VLLM_MODEL",
            health_path="/health",
            api_prefix="/v1",
            capabilities=_TOOLS | {Capability.GUIDED_DECODING, Capability.SEED},
            models=(
                _chat(
                    "vllm",
                    "Qwen/Qwen2.5-7B-Instruct",
                    caps=_TOOLS | {Capability.GUIDED_DECODING, Capability.SEED},
                    context=32_768,
                    output=8_192,
                ),
            ),
        ),
    )
}
