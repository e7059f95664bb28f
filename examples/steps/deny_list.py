"""An example operator step for the llmgw pipeline: a prompt deny-list.

Load it with ``PYTHONPATH=examples/steps`` and, in the gateway config::

    pipeline:
      steps: ["deny_list:DenyList"]

Every Chat, StreamChat, Embed and CountTokens call then passes through it
after admission and before the budget reservation. A prompt containing a
listed phrase (case-insensitive) is refused with ``INVALID_ARGUMENT`` before
any upstream call or reservation; every other call is labelled
``screened=deny-list`` (the label reaches its ledger rows). The phrases come
from ``LLMGW_DENY_LIST`` (comma-separated), default ``"forbidden topic"``.
"""

from __future__ import annotations

import os

from llmgw.domain.errors import FieldViolation, InvalidRequestError
from llmgw.domain.requests import ChatRequest
from llmgw.pipeline.context import CallContext


class DenyList:
    name = "deny-list"

    def __init__(self) -> None:
        raw = os.environ.get("LLMGW_DENY_LIST", "forbidden topic")
        self._phrases = tuple(p.strip().lower() for p in raw.split(",") if p.strip())

    async def before(self, ctx: CallContext) -> None:
        for text in _texts(ctx):
            lowered = text.lower()
            if any(phrase in lowered for phrase in self._phrases):
                violation = FieldViolation(
                    "messages", "the prompt matches the operator's deny-list", "DENY_LIST"
                )
                raise InvalidRequestError((violation,))
        ctx.labels["screened"] = "deny-list"

    async def after(self, ctx: CallContext) -> None:
        return None  # nothing to release


def _texts(ctx: CallContext) -> list[str]:
    request = ctx.request
    if isinstance(request, ChatRequest):
        return [message.text for message in request.messages]
    return [item for item in request.inputs if isinstance(item, str)]
