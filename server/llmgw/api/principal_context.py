"""The authenticated principal of the RPC being served (a contextvar).

The edge's admission (``api/edge_auth.py``) sets it around each handler call; servicers
read it with ``current_principal()``. Without authentication (loopback
development) it is ``ANONYMOUS``, which holds every scope.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from llmgw.domain.principal import ANONYMOUS, Principal

_current: ContextVar[Principal] = ContextVar("llmgw_principal", default=ANONYMOUS)


# The contextvar's own ``get`` (no Python frame: read on every RPC).
current_principal: Callable[[], Principal] = _current.get


def set_principal(principal: Principal) -> object:
    """Set for the current context; returns a token for ``reset_principal``."""
    return _current.set(principal)


def reset_principal(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


__all__ = [
    "current_principal",
    "reset_principal",
    "set_principal",
]
