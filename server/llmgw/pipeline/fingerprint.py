"""The request fingerprint the ledger keeps for the response-cache estimate.

The API layer computes it once per Chat/StreamChat call (a sha256 of the
request as a response cache would key it: model, messages, tools, generation
settings; not the request id, attribution or routing) and sets it here for
the RPC's task; settlement copies it into each ledger row. A contextvar, so
the request chain does not carry one more argument through every step; code
outside an RPC (tests, probes) reads ``""``.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

_CURRENT: ContextVar[str] = ContextVar("llmgw_request_fingerprint", default="")


def current_fingerprint() -> str:
    return _CURRENT.get()


def set_fingerprint(value: str) -> Token[str]:
    return _CURRENT.set(value)


def reset_fingerprint(token: Token[str]) -> None:
    _CURRENT.reset(token)
