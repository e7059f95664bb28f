"""Field checks of requests that the proto types cannot express (both services).

Each check returns the domain value or raises ``InvalidRequestError``
(``INVALID_ARGUMENT`` + ``BadRequest`` naming the field), so caller input
never reaches conversion code that would overflow (``Duration.ToTimedelta``
of 10,000 years raises ``OverflowError``) or a store that would accept a
meaningless value:

* durations (``SwitchBackend.ttl``, ``GetMetrics.window``): ``seconds`` and
  ``nanos`` non-negative, ``nanos`` below one second, at most ``max_seconds``;
* timestamps (``start_time``/``end_time`` filters, ``expire_time``): within
  the range ``google.protobuf.Timestamp`` defines (years 1 to 9999), ``nanos``
  in ``[0, 1e9)``; ``timestamp_ns`` also clamps to what a signed 64-bit
  nanosecond count holds (stores keep nanoseconds);
* money (``UpdateBudget.budget.limit``, ``RoutingOptions.max_cost``): an ISO-4217-shaped code (three
  capital letters; empty = the price book's currency) equal to the price
  book's currency (spend is priced in it, a budget in another currency would
  never be comparable), ``nanos`` within +-999,999,999 with the sign of
  ``units``.
"""

from __future__ import annotations

import re

from google.protobuf import duration_pb2, timestamp_pb2
from google.type import money_pb2

from llmgw.domain.errors import FieldViolation, InvalidRequestError

PRICE_BOOK_CURRENCY = "USD"  # what PriceBook prices in (domain.money defaults)
MAX_SWITCH_TTL_SECONDS = 366 * 86_400
MAX_METRICS_WINDOW_SECONDS = 31 * 86_400
_NANOS = 1_000_000_000
_CURRENCY = re.compile(r"[A-Z]{3}")
_MIN_TIMESTAMP = -62_135_596_800  # 0001-01-01T00:00:00Z
_MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z
_MAX_NS = 2**63 - 1


def _bad(field: str, description: str, reason: str = "VALUE_OUT_OF_RANGE") -> InvalidRequestError:
    return InvalidRequestError((FieldViolation(field, description, reason),))


def duration_seconds(value: duration_pb2.Duration, field: str, max_seconds: float) -> float:
    """``value`` in seconds, checked (module docstring)."""
    if value.seconds < 0 or value.nanos < 0:
        raise _bad(field, "must not be negative")
    if value.nanos >= _NANOS:
        raise _bad(field, "nanos must be below 1,000,000,000")
    seconds = value.seconds + value.nanos / _NANOS
    if seconds > max_seconds:
        raise _bad(field, f"must be at most {int(max_seconds)} seconds")
    return seconds


def timestamp_seconds(value: timestamp_pb2.Timestamp, field: str) -> float:
    """``value`` in epoch seconds, checked (module docstring)."""
    if not _MIN_TIMESTAMP <= value.seconds <= _MAX_TIMESTAMP:
        raise _bad(field, "must be between years 1 and 9999")
    if not 0 <= value.nanos < _NANOS:
        raise _bad(field, "nanos must be in [0, 1,000,000,000)")
    return value.seconds + value.nanos / _NANOS


def timestamp_ns(value: timestamp_pb2.Timestamp, field: str) -> int:
    """``value`` in epoch nanoseconds, checked and clamped to a signed int64."""
    timestamp_seconds(value, field)
    return max(-_MAX_NS, min(_MAX_NS, value.seconds * _NANOS + value.nanos))


def money_nanos(value: money_pb2.Money, field: str) -> tuple[int, str]:
    """``value`` as (integer nanos, currency), checked (module docstring)."""
    currency = value.currency_code or PRICE_BOOK_CURRENCY
    if not _CURRENCY.fullmatch(currency):
        raise _bad(f"{field}.currency_code", "must be a 3-letter ISO 4217 code", "INVALID_CURRENCY")
    if currency != PRICE_BOOK_CURRENCY:
        raise _bad(
            f"{field}.currency_code",
            f"must be {PRICE_BOOK_CURRENCY}, the currency spend is priced in",
            "UNSUPPORTED_CURRENCY",
        )
    if (
        abs(value.nanos) >= _NANOS
        or (value.units > 0 > value.nanos)
        or (value.units < 0 < value.nanos)
    ):
        raise _bad(f"{field}.nanos", "must be within +-999,999,999 with the sign of units")
    return value.units * _NANOS + value.nanos, currency


__all__ = [
    "MAX_METRICS_WINDOW_SECONDS",
    "MAX_SWITCH_TTL_SECONDS",
    "PRICE_BOOK_CURRENCY",
    "duration_seconds",
    "money_nanos",
    "timestamp_ns",
    "timestamp_seconds",
]
