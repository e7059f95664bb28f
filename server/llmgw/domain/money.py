"""Money as integer nanos of a currency; never a float.

Price math happens in ``Decimal`` and is rounded half-even to nanos once, so a
ledger that sums nanos is exact and a 10-token embedding at $0.02/M (200 nanos)
does not round to zero as it would in micro-dollars.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

NANOS_PER_UNIT = 1_000_000_000


def decimal_to_nanos(amount: Decimal) -> int:
    """Round a decimal amount of currency units half-even to integer nanos."""
    return int((amount * NANOS_PER_UNIT).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def split_nanos(total_nanos: int) -> tuple[int, int]:
    """(units, nanos) with the same sign, as google.type.Money requires."""
    units, nanos = divmod(abs(total_nanos), NANOS_PER_UNIT)
    sign = -1 if total_nanos < 0 else 1
    return sign * units, sign * nanos


@dataclass(frozen=True, slots=True)
class Cost:
    """Cost of one request in nanos. ``priced`` is False for unpriced models
    (distinct from free: the amount is then unknown, not zero)."""

    input_nanos: int = 0
    output_nanos: int = 0
    currency: str = "USD"
    estimated: bool = False
    priced: bool = True
    pricing_version: str = ""

    @property
    def total_nanos(self) -> int:
        return self.input_nanos + self.output_nanos


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """Prices per million tokens in ``currency`` (exact decimals)."""

    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cached_input_per_mtok: Decimal | None = None
    currency: str = "USD"
    version: str = ""
