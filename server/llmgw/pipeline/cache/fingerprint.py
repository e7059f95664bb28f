"""What identifies a request: its body (idempotency) and its answer (cache).

Both are BLAKE2b digests of the ``repr`` of frozen domain values: dataclass
reprs list every field in declaration order, so equal requests give equal
text and any field that differs changes it. (``backend_parameters`` is a dict
kept in the caller's key order, so reordered pass-through keys count as a
different body: never a false match, at worst a miss.)

* ``body_fingerprint``: everything the caller sent except the request id
  and which of the tenant's keys sent it, plus the operation (the same id
  on Chat and then Embed is a different body);
* ``answer_key``: only what determines the answer: requested model,
  messages, generation config (response format included), tools and tool
  choice; not attribution or routing hints, so two callers in one cache scope
  asking the same thing share it.
"""

from __future__ import annotations

import dataclasses
import hashlib

from llmgw.domain.requests import ChatRequest, EmbedRequest


def body_fingerprint(operation: str, request: ChatRequest | EmbedRequest) -> str:
    # Which key of the tenant sent it is not part of the body (a rotated key
    # or another instance of the caller retries the same request).
    who = dataclasses.replace(request.attribution, key_id="", principal="")
    plain = dataclasses.replace(request, request_id="", idempotent=False, attribution=who)
    return _digest(f"{operation}\x1f{plain!r}")


def answer_key(operation: str, scope: str, request: ChatRequest | EmbedRequest) -> str:
    if isinstance(request, ChatRequest):
        what = (
            request.model,
            request.messages,
            request.generation,
            request.tools,
            request.tool_choice,
        )
        text = repr(what)
    else:
        text = repr((request.model, request.inputs, request.dimensions, request.task_type))
    return _digest(f"{operation}\x1f{scope}\x1f{text}")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


__all__ = ["answer_key", "body_fingerprint"]
