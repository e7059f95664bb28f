"""The spend ledger's row: one upstream attempt, append-only.

Retries and fallbacks are separate attempts, each billed as it happened;
``attempt_id`` is unique, so a row relayed twice collapses into one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AttemptStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    CANCELLED = "cancelled"  # the caller went away; what was produced is billed
    TRUNCATED = "truncated"  # the upstream stream broke after tokens were sent
    CACHE_HIT = "cache_hit"  # answered by the response cache: zero cost, the original's tokens
    COALESCED = "coalesced"  # shared an identical in-flight call's answer: zero cost


class UsageSource(StrEnum):
    PROVIDER = "provider"
    ESTIMATED = "estimated"  # the stream ended before the provider reported usage


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One upstream attempt: who, what, how many tokens, what it cost.

    ``created_at`` is epoch seconds (UTC). ``cost_nanos`` is integer nanos of
    ``currency``; ``priced`` False means the model has no known price (the
    amount is then 0 and unknown, not free). ``key_id`` is the caller's
    gateway API key id and ``upstream_key_id`` the provider key's id; never
    the keys themselves.
    """

    attempt_id: str
    request_id: str
    created_at: float
    tenant: str
    project: str
    end_user: str
    alias: str
    backend: str
    model: str
    status: AttemptStatus
    principal: str = ""
    key_id: str = ""
    upstream_key_id: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    cost_nanos: int = 0
    # What counted against budgets: the cost when priced, the reservation when
    # the model is unpriced (its true cost is unknown, so it is never free).
    charged_nanos: int = 0
    currency: str = "USD"
    priced: bool = True
    price_version: str = ""
    usage_source: UsageSource = UsageSource.PROVIDER
    latency_ms: int = 0
    # sha256 of the request as a response cache would key it ("" = unknown):
    # lets the ledger tell how many requests were exact repeats.
    fingerprint: str = ""
    # A cache hit's row: what the cached answer cost when it was made (the
    # hit itself costs nothing); 0 for every other row.
    saved_nanos: int = 0
