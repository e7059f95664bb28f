"""Which adapter class serves which ``BackendKind`` (one table, checked complete).

The table names each adapter by module and class, and ``build_provider``
imports it with the first backend of its kind: a gateway that serves no
Anthropic backend never loads the Anthropic codec (~0.7 MiB resident).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from llmgw.domain.backends import BackendKind, BackendSpec
from llmgw.providers.base import Provider

ADAPTERS: dict[BackendKind, str] = {
    BackendKind.OPENAI: "llmgw.providers.openai.adapter:OpenAIProvider",
    BackendKind.OPENAI_COMPATIBLE: "llmgw.providers.openai.adapter:OpenAIProvider",
    BackendKind.ANTHROPIC: "llmgw.providers.anthropic.adapter:AnthropicProvider",
    BackendKind.DEMO: "llmgw.providers.demo:DemoProvider",
}


def adapter_class(kind: BackendKind) -> Callable[[BackendSpec], Provider]:
    """The adapter class serving ``kind`` (its module imported on first use)."""
    module, _, name = ADAPTERS[kind].partition(":")
    adapter: Callable[[BackendSpec], Provider] = getattr(importlib.import_module(module), name)
    return adapter


def build_provider(spec: BackendSpec) -> Provider:
    """The adapter for ``spec`` (its HTTP session opens on first use)."""
    return adapter_class(spec.kind)(spec)
