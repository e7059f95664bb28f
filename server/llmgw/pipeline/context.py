"""The request context every step of the chain reads and writes.

One ``CallContext`` per data-plane call (Chat, StreamChat, Embed,
CountTokens), created by the ``Gateway`` facade and handed to each step of the
chain in order (``pipeline.chain``). Fields fill in as the call advances:

* set by the facade: ``operation``, ``request``, ``principal``,
  ``attribution``, ``deadline``, ``request_id``, ``input_tokens`` (a lazy,
  cached estimate: call it only when needed, it tokenises the prompt once);
* ``targets`` (the routing plan, in the order to try) and ``alias`` (the
  alias the caller named, empty for a model id) by the plan step;
* ``tab`` (the budget reservation and the ledger rows) by the ledger step;
* ``result``, ``route``, ``usage``, ``cost`` by the attempt step (for a
  stream, ``usage`` and ``cost`` when the stream ends, before the
  finalizers run);
* ``error`` by the chain when the call failed or was cancelled (finalizers
  read it; ``None`` on success);
* ``labels``: free annotations any step may add (custom steps use it);
* ``answered``/``answer``: a step answered the call itself (replay, cache
  hit): the chain skips the remaining ``before`` steps and the facade returns
  ``answer`` (a ``Completion``, ``EmbedResult`` or ``StreamSession``);
* ``response_id``/``created_at``: the answer's identity, fixed at the start so
  a step's finalizer can store it (a replay returns the same id);
* ``transcript``: when a step sets it to a list, a stream appends every event
  it hands the caller (the end event before the finalizers run).
* ``started`` by the telemetry step, ``first_token_at`` by the stream
  attempt step (time to first token);
* ``stream_end``: a stream's end event (finish reasons, upstream response
  id), set once when the stream ends, before the finalizers run (the
  telemetry step puts them on the attempt span).

Slots only: a context costs one allocation per call.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llmgw.domain.deadline import Deadline
from llmgw.domain.generation import Usage
from llmgw.domain.models import Target
from llmgw.domain.money import Cost
from llmgw.domain.principal import Principal
from llmgw.domain.requests import Attribution, ChatRequest, EmbedRequest, StreamEnd
from llmgw.pipeline.results import RouteInfo
from llmgw.pipeline.settlement import Tab


class Operation(enum.StrEnum):
    """A data-plane operation; a ``StrEnum`` so that, as a dict key on every
    call (chains, metric labels), it hashes as its string in C."""

    CHAT = "chat"
    STREAM_CHAT = "stream_chat"
    EMBED = "embed"
    COUNT_TOKENS = "count_tokens"


@dataclass(slots=True, eq=False)
class CallContext:
    """One call's state along the chain (see the module docstring)."""

    operation: Operation
    request: ChatRequest | EmbedRequest
    principal: Principal
    attribution: Attribution
    deadline: Deadline | None
    request_id: str
    input_tokens: Callable[[], int]
    targets: list[Target] = field(default_factory=list)
    alias: str = ""  # the alias the caller named ("" for a model id), set by the plan step
    target: Target | None = None  # the target that answered (or is streaming)
    tab: Tab | None = None
    result: Any = None
    route: RouteInfo | None = None
    usage: Usage | None = None
    cost: Cost | None = None
    error: BaseException | None = None
    output_tokens: int = 0  # every attempt's output tokens (what output rate limits count)
    slot: Any = None  # the stream slot admission holds until the stream ends
    limited: bool = False  # caller limits count output tokens (admission's after feeds them)
    labels: dict[str, str] = field(default_factory=dict)
    answered: bool = False
    answer: Any = None
    response_id: str = ""
    created_at: float = 0.0  # epoch seconds of the answer (0: not yet)
    transcript: list[Any] | None = None
    claimed: tuple[str, str] | None = None  # (scope, request id) this call runs
    cache_entry: Any = None  # where the cache step stores this call's answer
    cache_hit: Any = None  # the stored answer the cache step answered with
    coalesced: bool = False  # answered by an identical in-flight call (single-flight)
    shared_from: Any = None  # then: the leader's answer or stream it shared
    started: float = 0.0  # pipeline clock at the call's start (telemetry step)
    first_token_at: float = 0.0  # pipeline clock when a stream's first delta was read
    attempt_span: Any = None  # a stream's open attempt span (ended by the telemetry step)
    stream_end: StreamEnd | None = None  # a stream's end event (set before the finalizers)

    @property
    def streaming(self) -> bool:
        return self.operation is Operation.STREAM_CHAT


__all__ = ["CallContext", "Operation"]
