"""Server-sent events framing (the WHATWG ``text/event-stream`` format).

``EventBuffer.feed`` takes raw bytes as they arrive (one socket read) and
returns the ``(event, data)`` pairs completed by them, one per
blank-line-terminated event, in order: the caller decodes all of one read in
one loop, with no await and no generator hop per event. ``data`` lines of one
event are joined with ``\\n``; comments (``:``) and ``id``/``retry`` fields are
ignored. Both ``\\n`` and ``\\r\\n`` line ends are accepted (also split across
reads). A partial event left when the body ends is dropped: the caller decides
whether the stream ended cleanly by whether its protocol's terminal event
arrived.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


class EventBuffer:
    """Incremental framing of one SSE body; feed every read, in order."""

    __slots__ = ("_rest",)

    def __init__(self) -> None:
        self._rest = b""  # the incomplete event after the last blank line

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        """The events ``chunk`` completes (``event_type`` is ``""`` when not given)."""
        buffer = self._rest + chunk if self._rest else chunk
        held = b""
        if b"\r" in buffer:
            if buffer[-1:] == b"\r":  # maybe the first half of a CRLF split across reads
                buffer, held = buffer[:-1], b"\r"
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        blocks = buffer.split(b"\n\n")  # one pass, no copy of the rest per event
        self._rest = blocks.pop() + held if held else blocks.pop()
        events: list[tuple[str, bytes]] = []
        for block in blocks:
            if block[:6] == b"data: " and b"\n" not in block:
                events.append(("", block[6:]))  # the common one-line data event
            else:
                parsed = _parse_block(block)
                if parsed is not None:
                    events.append(parsed)
        return events


async def iter_events(chunks: AsyncIterable[bytes]) -> AsyncIterator[tuple[str, bytes]]:
    """Yield ``(event_type, data)`` per event of ``chunks`` (``EventBuffer`` per chunk)."""
    frames = EventBuffer()
    async for chunk in chunks:
        for event in frames.feed(chunk):
            yield event


def _parse_block(block: bytes) -> tuple[str, bytes] | None:
    event = ""
    data: list[bytes] = []
    for line in block.split(b"\n"):
        if not line or line[0] == 0x3A:  # ':' comment
            continue
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            data.append(value)
        elif name == b"event":
            event = value.decode("utf-8", "replace")
    if not data and not event:
        return None
    return event, b"\n".join(data)
