"""Identifiers for requests and responses."""

from __future__ import annotations

import os


def new_id() -> str:
    """128 random bits as 32 hex characters (uuid4's entropy, a fifth of its cost)."""
    return os.urandom(16).hex()
