"""Which adapter class serves which ``BackendKind`` (one table, checked complete)."""

from __future__ import annotations

from collections.abc import Callable

from llmgw.domain.backends import BackendKind, BackendSpec
from llmgw.providers.anthropic.adapter import AnthropicProvider
from llmgw.providers.base import Provider
from llmgw.providers.demo import DemoProvider
from llmgw.providers.openai.adapter import OpenAIProvider

ADAPTERS: dict[BackendKind, Callable[[BackendSpec], Provider]] = {
    BackendKind.OPENAI: OpenAIProvider,
    BackendKind.OPENAI_COMPATIBLE: OpenAIProvider,
    BackendKind.ANTHROPIC: AnthropicProvider,
    BackendKind.DEMO: DemoProvider,
}


def build_provider(spec: BackendSpec) -> Provider:
    """The adapter for ``spec`` (its HTTP session opens on first use)."""
    return ADAPTERS[spec.kind](spec)
