"""Redaction of secret-looking values in structured data (audit rows, admin echoes).

Two rules, applied recursively to mappings, sequences and strings:

* a value under a secret-looking *field name* (``api_key``, ``secret``,
  ``password``, ``token``, ``authorization``, ``credential_ref``, ...) is
  replaced whole by ``[REDACTED]``, whatever it looks like: redaction by
  field, never partial masking (LiteLLM CVE-2024-9606 masked 5 characters);
* inside any string, URL userinfo (``scheme://user:pw@host``), bearer
  tokens, ``sk-``/``gwk_``-style keys, JWTs and ``key=``/``token=`` query
  values are replaced, so a secret pasted into a free-text field is caught.

The result holds only JSON types (dict, list, str, int, float, bool, None).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

REDACTED = "[REDACTED]"

# "token" only in the singular: ``max_output_tokens`` counts tokens, it is no secret.
_SECRET_FIELD = re.compile(
    r"(^|[_-])(api[_-]?keys?|apikeys?|secrets?|passwords?|passwd|pwd|token|"
    r"authorization|auth|credentials?|credential[_-]?refs?|cookies?|private[_-]?keys?|dsn)$",
    re.IGNORECASE,
)
_IN_TEXT = (
    # scheme://user:password@host -> scheme://[REDACTED]@host
    (re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@"), rf"\g<scheme>{REDACTED}@"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), f"Bearer {REDACTED}"),
    (re.compile(r"\b(sk|pk|rk|gwk|llmgw)[-_][A-Za-z0-9_-]{8,}"), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    (
        re.compile(r"(?i)([?&;](?:api[_-]?key|key|token|secret|password|sig)=)[^&#\s]+"),
        rf"\1{REDACTED}",
    ),
)

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


def is_secret_field(name: str) -> bool:
    """Whether a field called ``name`` holds a credential (``credential_ref``, ...)."""
    return bool(_SECRET_FIELD.search(name))


def redact_text(text: str) -> str:
    """``text`` with secret-looking substrings replaced."""
    for pattern, replacement in _IN_TEXT:
        text = pattern.sub(replacement, text)
    return text


def redact(value: object) -> JsonValue:
    """A JSON-safe copy of ``value`` with secrets replaced (see the module rules)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return REDACTED
    if isinstance(value, Mapping):
        out: dict[str, JsonValue] = {}
        for key, item in value.items():
            name = str(key)
            out[name] = (
                REDACTED if is_secret_field(name) and item not in ("", None) else redact(item)
            )
        return out
    if isinstance(value, Sequence):
        return [redact(item) for item in value]
    return redact_text(str(value))
