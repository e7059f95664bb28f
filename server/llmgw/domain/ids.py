"""Identifiers for requests, responses and ledger attempts.

128 random bits from the kernel CSPRNG (``os.urandom``) as 32 hex characters:
unique across replicas and restarts without coordination (ledger rows collapse
on ``attempt_id``), and unguessable. They are read 256 ids at a time, so a call
costs a list ``pop`` rather than a ``getrandom`` syscall per id (three per call).
``list.pop`` is atomic under the GIL, so threads never share an id; a forked
child drops the ids it inherited (else parent and child would hand out the same
ones).
"""

from __future__ import annotations

import os

_BATCH = 256  # ids per urandom read (4 KiB)
_ids: list[str] = []


def new_id() -> str:
    """128 random bits as 32 hex characters (uuid4's entropy, none of its cost)."""
    ids = _ids
    while True:
        try:
            return ids.pop()
        except IndexError:
            ids.extend(_batch())


def _batch() -> list[str]:
    raw = os.urandom(16 * _BATCH).hex()
    return [raw[i : i + 32] for i in range(0, len(raw), 32)]


os.register_at_fork(after_in_child=_ids.clear)
