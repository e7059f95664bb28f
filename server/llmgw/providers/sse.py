"""Server-sent events framing (the WHATWG ``text/event-stream`` format).

Reads raw chunks as they arrive (``iter_any``: no per-line awaits) and yields
``(event, data)`` pairs, one per blank-line-terminated event. ``data`` lines of
one event are joined with ``\\n``; comments (``:``) and ``id``/``retry`` fields
are ignored. Both ``\\n`` and ``\\r\\n`` line ends are accepted. A partial event
left when the body ends is dropped: the caller decides whether the stream ended
cleanly by whether its protocol's terminal event arrived.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


async def iter_events(chunks: AsyncIterable[bytes]) -> AsyncIterator[tuple[str, bytes]]:
    """Yield ``(event_type, data)``; ``event_type`` is ``""`` when not given."""
    buffer = b""
    async for chunk in chunks:
        buffer = buffer + chunk if buffer else chunk
        held = b""
        if b"\r" in buffer:
            if buffer[-1:] == b"\r":  # maybe the first half of a CRLF split across chunks
                buffer, held = buffer[:-1], b"\r"
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        while True:
            end = buffer.find(b"\n\n")
            if end < 0:
                break
            block = buffer[:end]
            buffer = buffer[end + 2 :]
            parsed = _parse_block(block)
            if parsed is not None:
                yield parsed
        buffer += held


def _parse_block(block: bytes) -> tuple[str, bytes] | None:
    if block[:6] == b"data: " and b"\n" not in block:
        return "", block[6:]  # the common one-line data event (every OpenAI chunk)
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
