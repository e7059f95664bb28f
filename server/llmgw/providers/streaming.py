"""A started upstream SSE stream as a ``ChatStream`` of domain events.

Shared by every HTTP adapter; the protocol-specific part is an
``EventDecoder``. Guarantees (see ``llmgw.domain.requests``):

* events are decoded as bytes arrive: each socket read is framed and decoded
  in one loop (no await, no generator hop and no logging per event);
* delta coalescing: the deltas of one read that continue each other (see
  ``coalesce``) leave as one event, so the caller gets fewer, larger messages
  when the upstream is faster than the relay. Only what is already in hand is
  merged: the stream never waits for more bytes to merge, so the first delta
  leaves as soon as its read arrived. ``coalesce = False`` keeps one event per
  upstream event (the ``max_cost`` stop counts upstream chunks);
* the stream ends cleanly only when the decoder saw the protocol's terminal
  event; a body that ends before it raises ``STREAM_INTERRUPTED`` with the
  number of output events produced so far (counted before merging). Events
  decoded before a failure in the same read are yielded before the failure;
* ``aclose()`` closes the HTTP response at once when the stream did not
  finish (the upstream sees the disconnect and stops generating), or returns
  the connection to the pool when it did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, cast

import aiohttp

from llmgw.domain.errors import FailureClass, UpstreamError
from llmgw.domain.requests import ReasoningDelta, StreamEvent, TextDelta, ToolCallDelta
from llmgw.providers.http import error_from_exception
from llmgw.providers.sse import EventBuffer


class EventDecoder(Protocol):
    """Turns one SSE event into domain events; sets ``finished`` on the terminal one."""

    finished: bool
    produced: int

    def decode(self, event: str, data: bytes) -> Sequence[StreamEvent]: ...


class SSEChatStream:
    """Relays one upstream SSE response; single consumer, iterate once."""

    __slots__ = ("_backend", "_closed", "_decoder", "_failure", "_response", "coalesce")

    def __init__(
        self, backend: str, response: aiohttp.ClientResponse, decoder: EventDecoder
    ) -> None:
        self._backend = backend
        self._response = response
        self._decoder = decoder
        self._closed = False
        self._failure: Exception | None = None
        self.coalesce = True

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[StreamEvent]:
        decoder = self._decoder
        read = self._response.content.readany
        frames = EventBuffer()
        try:
            while chunk := await read():
                events = self._decode(frames.feed(chunk))
                if self.coalesce and len(events) > 1:
                    events = coalesce(events)
                for item in events:
                    yield item
                if self._failure is not None:
                    raise self._failure
                if decoder.finished:
                    return
        except UpstreamError:
            raise
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise error_from_exception(
                self._backend, exc, streaming_started=True, output_tokens=decoder.produced
            ) from exc
        except (ValueError, TypeError, AttributeError, KeyError) as exc:  # malformed event
            raise UpstreamError(
                self._backend,
                FailureClass.PROTOCOL,
                detail=f"malformed stream event: {exc!r}"[:300],
                output_tokens=decoder.produced,
            ) from exc
        raise UpstreamError(
            self._backend,
            FailureClass.STREAM_INTERRUPTED,
            detail="upstream stream ended without its terminal event",
            output_tokens=decoder.produced,
        )

    def _decode(self, frames: list[tuple[str, bytes]]) -> list[StreamEvent]:
        """The domain events of one read, up to the terminal event; a failure
        is kept in ``_failure`` (raised once what came before it is yielded)."""
        decoder = self._decoder
        decode = decoder.decode
        events: list[StreamEvent] = []
        try:
            for event, data in frames:
                events += decode(event, data)
                if decoder.finished:
                    break
        except Exception as exc:  # raised, and classified, by ``_events``
            self._failure = exc
        return events

    def abort(self) -> None:
        self._response.close()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._decoder.finished:
            self._response.release()
        else:
            self._response.close()


def coalesce(events: list[StreamEvent]) -> list[StreamEvent]:
    """``events`` with each run of deltas that continue one another merged into one.

    A run is consecutive events of one kind and one candidate: text deltas;
    reasoning text deltas (a signature is never merged); fragments of the same
    tool call (same ``index``, the later ones without a ``name`` and with the
    same or no ``id``). Anything else (usage, the end, another candidate or
    call) ends the run. Order and the concatenated content are unchanged.
    """
    out: list[StreamEvent] = []
    count = len(events)
    start = 0
    while start < count:
        head = events[start]
        stop = start + 1
        while stop < count and _continues(head, events[stop]):
            stop += 1
        out.append(head if stop == start + 1 else _merged(events[start:stop]))
        start = stop
    return out


def _continues(head: StreamEvent, event: StreamEvent) -> bool:
    if isinstance(head, TextDelta):
        return type(event) is TextDelta and event.candidate_index == head.candidate_index
    if isinstance(head, ReasoningDelta):
        return (
            type(event) is ReasoningDelta
            and event.candidate_index == head.candidate_index
            and not head.signature
            and not event.signature
        )
    if isinstance(head, ToolCallDelta):
        return (
            type(event) is ToolCallDelta
            and event.candidate_index == head.candidate_index
            and event.index == head.index
            and not event.name
            and event.id in ("", head.id)
        )
    return False


def _merged(run: list[StreamEvent]) -> StreamEvent:
    head = run[0]
    if isinstance(head, TextDelta):
        texts = cast(list[TextDelta], run)
        return TextDelta("".join([e.text for e in texts]), head.candidate_index)
    if isinstance(head, ReasoningDelta):
        thoughts = cast(list[ReasoningDelta], run)
        text = "".join([e.text for e in thoughts])
        return ReasoningDelta(text=text, candidate_index=head.candidate_index)
    fragments = cast(list[ToolCallDelta], run)
    call = fragments[0]
    arguments = "".join([e.arguments_fragment for e in fragments])
    return ToolCallDelta(call.index, call.id, call.name, arguments, call.candidate_index)
