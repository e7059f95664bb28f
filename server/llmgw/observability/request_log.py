"""One structured log line per request outcome (success included).

The line (event ``request``, info level) carries what an operator greps for:
RPC, request id, trace and span ids (when tracing is on), principal, tenant,
project, alias, model, backend, status code, failure class, attempts,
input/output tokens, cost (nanos), latency and time to first token (ms).
Failures are always logged; successes are sampled (``success_sample``: 1.0
logs every one, 0.01 one in a hundred) because at thousands of requests per
second a line each is the largest telemetry cost.

Prompts and answers are never in the line unless the operator sets
``log_content`` (then ``prompt`` and ``answer`` hold the text, after the
secret scrubber of ``observability.logging``). Identifiers only otherwise:
no credential reaches this module.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

from llmgw.observability.logging import get_logger

_log = get_logger("llmgw.request")


class RequestLog:
    """Writes the outcome line; decides the success sampling."""

    __slots__ = ("_draw", "_sample", "log_content")

    def __init__(
        self,
        success_sample: float = 1.0,
        log_content: bool = False,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._sample = success_sample
        self.log_content = log_content
        self._draw = draw

    def wanted(self, ok: bool) -> bool:
        """Whether this outcome gets a line (failures always do, when the log
        level lets info lines through: otherwise the line is not even built)."""
        if not _log.is_enabled_for(logging.INFO):
            return False
        sample = self._sample
        return not ok or sample >= 1.0 or (sample > 0.0 and self._draw() < sample)

    def write(self, fields: dict[str, Any]) -> None:
        _log.info("request", **fields)


__all__ = ["RequestLog"]
