"""Backends as data: which wire protocol, where, with which keys and models."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from llmgw.domain.models import ModelInfo
from llmgw.domain.policies import BreakerPolicy, RetryPolicy
from llmgw.domain.secret import Secret


class BackendKind(StrEnum):
    """Wire protocol of a backend. OpenAI-compatible engines are presets of
    ``OPENAI_COMPATIBLE`` (data rows), not kinds of their own."""

    OPENAI = "openai"
    OPENAI_COMPATIBLE = "openai_compatible"
    ANTHROPIC = "anthropic"
    DEMO = "demo"


@dataclass(frozen=True, slots=True)
class BackendSpec:
    """Everything an adapter needs to reach one backend.

    ``preset`` names the OpenAI-compatible flavour (vllm, ollama, mistral,
    together, openrouter) for display and probes. ``api_keys`` may be empty
    (local engines). ``health_path`` is the zero-token probe path relative to
    the server root (vLLM ``/health``); empty means "list models".
    """

    name: str
    kind: BackendKind
    base_url: str
    models: tuple[ModelInfo, ...]
    api_keys: tuple[Secret, ...] = ()
    preset: str = ""
    request_timeout: float = 600.0
    connect_timeout: float = 10.0
    max_connections: int = 256
    max_concurrent_requests: int = 0  # 0 = no cap (local_first overflows past it)
    first_token_timeout: float = 0.0  # seconds a stream may take to its first delta; 0 = none
    extra_headers: tuple[tuple[str, str], ...] = ()
    health_path: str = ""
    default_max_output_tokens: int = 4096
    api_version: str = ""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    keys: tuple[ApiKey, ...] = ()  # with limits; empty: one unlimited key per api_keys entry
    # Addresses the admin plane validated for base_url's host (SSRF guard): the
    # adapter connects only to these, never re-resolving. Empty: ordinary DNS.
    pinned_addresses: tuple[str, ...] = ()
    propagate_trace_context: bool = False  # W3C traceparent on upstream requests

    def key_pool(self) -> tuple[ApiKey, ...]:
        """The keys to balance over (``keys``, else ``api_keys`` as unlimited keys)."""
        if self.keys:
            return self.keys
        return tuple(ApiKey(f"key-{i + 1}", k) for i, k in enumerate(self.api_keys))


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One upstream credential of a backend and its own limits.

    ``id`` names it in logs, metrics and admin answers (never the secret).
    ``models`` restricts it to some model ids (empty: all). Limits of 0 mean
    "no limit": requests per minute, input and output tokens per minute.
    """

    id: str
    secret: Secret
    models: frozenset[str] = frozenset()
    rpm: int = 0
    input_tpm: int = 0
    output_tpm: int = 0

    @property
    def limited(self) -> bool:
        return bool(self.rpm or self.input_tpm or self.output_tpm)
