"""Opaque offset page tokens (AIP-158) shared by every list RPC that pages a
computed list: ListModels, GetCosts, ListApiKeys.

A token is ``base64url("o:<offset>")``: opaque to callers (they must not build
one), cheap to check. Anything else is ``INVALID_ARGUMENT`` + ``BadRequest``.
"""

from __future__ import annotations

import base64
import binascii

from llmgw.domain.errors import FieldViolation, InvalidRequestError


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_offset(token: str) -> int:
    """The offset in ``token`` ("" = 0), or ``InvalidRequestError``."""
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if text.startswith("o:") and text[2:].isdigit():
            return int(text[2:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidRequestError(
        (FieldViolation("page_token", "is not a token from this API", "INVALID_PAGE_TOKEN"),)
    )


__all__ = [
    "decode_offset",
    "encode_offset",
]
