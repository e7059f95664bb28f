"""Validation of an upstream endpoint an operator supplies at run time.

A configurable base URL is how other gateways got server-side request
forgery: the admin API was used to point a backend at the cloud metadata
service and read the answer. Checks here are pure (no DNS): scheme
``http``/``https`` only, a host, no userinfo, no query or fragment, and no
literal link-local, metadata or unspecified address. Resolving names once and
pinning the address belongs to the adapter that connects.

An IPv4 address can hide inside an IPv6 one: ``unwrapped`` yields every
embedded IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, SIIT-translated
``::ffff:0:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96``,
6to4 ``2002::/16`` and both Teredo ``2001::/32`` addresses), so a deny list
written for IPv4 also holds for ``64:ff9b::a9fe:a9fe``. Local-use NAT64
``64:ff9b:1::/48`` cannot be unwrapped (the IPv4 position depends on a locally
chosen prefix length, RFC 6052), so the whole range is denied. Non-canonical IPv4 literals
(``2852039166``, ``0xa9.0xfe.0xa9.0xfe``, ``0251.0376.0251.0376``) are refused
outright: resolvers disagree on what they mean.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from llmgw.domain.errors import FieldViolation

_METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata", "metadata.azure.com", "instance-data"}
)
_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",
        "fe80::/10",
        "fd00:ec2::254/128",
        "0.0.0.0/32",
        "::/128",
        # Local-use NAT64 (RFC 8215): where the IPv4 address sits depends on a
        # prefix length chosen locally, so it cannot be unwrapped: denied.
        "64:ff9b:1::/48",
    )
)


Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# The IPv4 address is the low 32 bits: SIIT-translated, NAT64 well-known, IPv4-compatible.
_LOW_32_BITS = (_IPV4_TRANSLATED, _NAT64_WELL_KNOWN, _IPV4_COMPATIBLE)
_NUMERIC_HOST = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}")


def unwrapped(address: Address) -> Iterator[Address]:
    """``address`` itself, then every IPv4 address embedded in it (see the module)."""
    yield address
    if isinstance(address, ipaddress.IPv4Address):
        return
    value = int(address)
    if address.ipv4_mapped is not None:
        yield address.ipv4_mapped
    elif any(address in net for net in _LOW_32_BITS) and value > 1:  # not :: or ::1
        yield ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address.sixtofour is not None:
        yield address.sixtofour
    if address.teredo is not None:
        yield from address.teredo


def first_denied(
    address: Address, denied: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> str | None:
    """How ``address`` matched ``denied`` (``"64:ff9b::a9fe:a9fe (169.254.169.254)"``
    for an embedded address), or ``None`` when neither it nor an embedded one is."""
    for inner in unwrapped(address):
        if any(inner.version == net.version and inner in net for net in denied):
            return str(address) if inner == address else f"{address} ({inner})"
    return None


def is_non_canonical_ipv4(host: str) -> bool:
    """``host`` is numeric but not a dotted quad (decimal, octal, hex, short forms)."""
    if not _NUMERIC_HOST.fullmatch(host):
        return False
    try:
        return str(ipaddress.IPv4Address(host)) != host
    except ValueError:
        return True


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
    problems += _host_problems((parts.hostname or "").lower().rstrip("."))
    if port == 0:
        problems.append("port 0 is not a valid port")
    return [FieldViolation(field, p, "INVALID_ENDPOINT") for p in problems]


def _host_problems(host: str) -> list[str]:
    """What is wrong with ``host`` (lower-cased, no trailing dot) as a
    backend's host: a metadata name, a blocked address, a non-canonical IPv4."""
    problems: list[str] = []
    if host in _METADATA_HOSTS:
        problems.append(f"{host} is a cloud metadata service")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    blocked = None if address is None else first_denied(address, _BLOCKED_NETWORKS)
    if blocked is not None:
        problems.append(f"{blocked} is a link-local, metadata or unspecified address")
    if is_non_canonical_ipv4(host):
        problems.append(f"{host} is a non-canonical IPv4 literal (write a.b.c.d)")
    return problems
