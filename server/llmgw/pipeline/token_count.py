"""``CountTokens`` with the model's real tokenizer where one is available.

In order, for the model the request routes to:

1. the backend counts (Anthropic ``count_tokens``, vLLM ``/tokenize``:
   ``providers.counting``): exact, one zero-token HTTP call;
2. OpenAI's BPE, counted locally from the encodings bundled in a package
   (``providers.openai.bpe``), in a worker thread: exact for text prompts;
3. otherwise the gateway's script-aware upper bound (``pipeline.tokens``),
   answered with ``estimated`` set.

A failing backend count falls through to 2/3 (a count is advice; it must not
fail because an upstream hiccuped). Never on the Chat path: reservations and
context checks keep using the bound, which needs no I/O.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace

from llmgw.accounting.pricing import PriceBook
from llmgw.domain.deadline import Deadline
from llmgw.domain.errors import UpstreamError
from llmgw.domain.generation import Usage
from llmgw.domain.models import ModelInfo
from llmgw.domain.requests import ChatRequest
from llmgw.observability.logging import get_logger
from llmgw.pipeline.catalog import Catalog
from llmgw.pipeline.results import TokenCount
from llmgw.providers.counting import TokenCountingProvider
from llmgw.providers.openai.bpe import count_chat, encoding_for

log = get_logger("llmgw.tokens")


class TokenCounter:
    """Refines the gateway's estimate into a tokenizer count (see module doc)."""

    def __init__(
        self, providers: Mapping[str, object], catalog: Catalog, prices: PriceBook
    ) -> None:
        self._providers = providers
        self._catalog = catalog
        self._prices = prices

    async def refine(
        self, request: ChatRequest, estimate: TokenCount, deadline: Deadline
    ) -> TokenCount:
        """``estimate`` (from the pipeline) replaced by a real count when one exists."""
        model = next((m for m in self._catalog.models if m.id == estimate.model), None)
        if model is None:
            return estimate
        provider = self._providers.get(model.backend)
        if isinstance(provider, TokenCountingProvider):
            try:
                counted = await provider.count_tokens(request, model, deadline)
            except UpstreamError as error:
                log.warning("backend token count failed", backend=model.backend,
                            failure=error.failure.value)  # fmt: skip
                counted = None
            if counted is not None:
                return self._count(estimate, model, counted, exact=True)
        encoding = encoding_for(model.upstream_id or model.id)
        if encoding is None:
            return estimate
        local = await asyncio.to_thread(count_chat, request, encoding)
        return self._count(estimate, model, local.tokens, exact=local.exact)

    def _count(
        self, estimate: TokenCount, model: ModelInfo, tokens: int, exact: bool
    ) -> TokenCount:
        cost = self._prices.cost(model, Usage(input_tokens=tokens), estimated=True)
        return replace(
            estimate, input_tokens=tokens, estimated_input_cost=cost, estimated=not exact
        )
