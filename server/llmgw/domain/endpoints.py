"""Validation of an upstream endpoint an operator supplies at run time.

A configurable base URL is how other gateways got server-side request
forgery: the admin API was used to point a backend at the cloud metadata
service and read the answer. Checks here are pure (no DNS): scheme
``http``/``https`` only, a host, no userinfo, no query or fragment, and no
literal link-local, metadata or unspecified address. Resolving names once and
pinning the address belongs to the adapter that connects.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from llmgw.domain.errors import FieldViolation

_METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata", "metadata.azure.com", "instance-data"}
)
_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "0.0.0.0/32", "::/128")
)


def check_endpoint(url: str, field: str = "endpoint_uri") -> list[FieldViolation]:
    """Violations of ``url`` as a backend base URL (empty list: acceptable)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return [FieldViolation(field, f"not a valid URL: {exc}", "INVALID_URL")]
    problems: list[str] = []
    if parts.scheme not in ("http", "https"):
        problems.append("scheme must be http or https")
    if not parts.hostname:
        problems.append("a host is required")
    if parts.username is not None or parts.password is not None:
        problems.append("credentials in the URL are not allowed (use the key settings)")
    if parts.query or parts.fragment:
        problems.append("query strings and fragments are not allowed")
    host = (parts.hostname or "").lower().rstrip(".")
    if host in _METADATA_HOSTS:
        problems.append(f"{host} is a cloud metadata service")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and any(address in net for net in _BLOCKED_NETWORKS):
        problems.append(f"{address} is a link-local, metadata or unspecified address")
    if port == 0:
        problems.append("port 0 is not a valid port")
    return [FieldViolation(field, p, "INVALID_ENDPOINT") for p in problems]
