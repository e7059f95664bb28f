"""Structured logging (structlog, JSON lines to stderr).

Events are logged per request or per lifecycle step, never per stream chunk.
Callers pass identifiers, never credentials; ``redact`` scrubs known secret
values from any string as a second line of defence.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import orjson

# structlog.dev and structlog.tracebacks import rich, colorama and better-exceptions
# when they are installed (the CLI depends on rich), for a console renderer and
# pretty tracebacks this gateway never uses: it writes JSON lines. A ``None`` entry
# in ``sys.modules`` makes ``import`` fail, so structlog loads without them; the
# entries go at once, and a later ``import rich`` (a CLI table) works as usual.
# Saves ~3 MiB resident in every gateway. The only structlog import in llmgw.
_HIDDEN = [name for name in ("rich", "colorama", "better_exceptions") if name not in sys.modules]
for _name in _HIDDEN:
    sys.modules[_name] = None  # type: ignore[assignment]
try:
    import structlog
finally:
    for _name in _HIDDEN:
        del sys.modules[_name]

bind_contextvars = structlog.contextvars.bind_contextvars
unbind_contextvars = structlog.contextvars.unbind_contextvars


def configure(level: str, secrets: Iterable[str] = ()) -> None:
    """Route structlog to stderr as JSON at ``level``, scrubbing ``secrets``."""
    known = tuple(s for s in secrets if len(s) >= 8)

    def _scrub(_: object, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key, value in event.items():
            if isinstance(value, str) and known:
                event[key] = redact(value, known)
        return event

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _scrub,
            structlog.processors.JSONRenderer(serializer=_dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


def _dumps(event: Any, **_: Any) -> str:
    """orjson (a line per request outcome is logged: ~4x faster than json)."""
    return orjson.dumps(event, default=repr).decode()


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``[REDACTED]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[REDACTED]")
    return text


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger
