"""The admin plane's SSRF guard: may a backend be pointed at this URL?

An admin call that sets a backend endpoint decides where the gateway sends
its provider keys and prompts; other gateways were turned into proxies to the
cloud metadata service this way (OWASP API7, LiteLLM CVE-2024-6587). Checks,
in order, each failure a ``FieldViolation`` (``INVALID_ARGUMENT``):

1. the literal URL (``domain.endpoints.check_endpoint``): http/https only, a
   host, no userinfo, no query/fragment, no metadata name or address literal;
2. the host allow-list (``allowed_hosts``: exact names, or ``.example.com``
   for a domain and its subdomains), when one is configured;
3. DNS, resolved **once**, here: every address the name resolves to must
   pass the deny list (link-local 169.254.0.0/16 and fe80::/10, AWS
   fd00:ec2::254, local-use NAT64 64:ff9b:1::/48, Alibaba 100.100.100.200,
   Oracle 192.0.0.192, unspecified, multicast, plus ``deny_cidrs``; with
   ``allow_private`` false also loopback, RFC 1918, CGNAT and ULA). Every
   IPv4 address embedded in an IPv6 one (mapped, compatible, NAT64, 6to4,
   Teredo: ``domain.endpoints.unwrapped``) is checked too, for literals and
   resolved answers alike; non-canonical IPv4 literals (``2852039166``) are
   refused by step 1.

The answer is a ``PinnedEndpoint``: the adapter built for it connects only to
those addresses (``providers.http`` pins its resolver), so a DNS answer that
changes after validation (rebinding) cannot redirect it. Redirects are never
followed by the adapters, so a 302 cannot either. Resolution is behind the
``Resolver`` port so tests inject answers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from llmgw.domain.endpoints import check_endpoint, first_denied
from llmgw.domain.errors import FieldViolation, InvalidRequestError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ALWAYS_DENIED: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",  # link-local, AWS/GCP/Azure metadata 169.254.169.254
        "fe80::/10",
        "fd00:ec2::254/128",  # AWS IMDS over IPv6
        "64:ff9b:1::/48",  # local-use NAT64: the embedded IPv4 cannot be located
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "192.0.0.192/32",  # Oracle Cloud metadata
        "0.0.0.0/8",
        "::/128",
        "224.0.0.0/4",
        "ff00::/8",
        "255.255.255.255/32",
    )
)
PRIVATE: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "::1/128",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
    )
)


class Resolver(Protocol):
    """Name -> addresses (text), e.g. ``getaddrinfo``; raises ``OSError`` when
    the name does not resolve."""

    async def resolve(self, host: str, port: int) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class EndpointPolicy:
    allowed_hosts: tuple[str, ...] = ()
    deny_networks: tuple[Network, ...] = ()
    allow_private: bool = True


@dataclass(frozen=True, slots=True)
class PinnedEndpoint:
    """A validated URL and the addresses its host resolved to (connect only there)."""

    url: str
    host: str
    addresses: tuple[str, ...]


class EndpointGuard:
    """Validates operator-supplied endpoints (see the module docstring)."""

    def __init__(self, policy: EndpointPolicy, resolver: Resolver) -> None:
        self._policy = policy
        self._resolver = resolver
        self._denied = ALWAYS_DENIED + policy.deny_networks
        if not policy.allow_private:
            self._denied += PRIVATE

    async def check(self, url: str, field: str) -> PinnedEndpoint:
        """The pinned endpoint, or ``InvalidRequestError`` naming every problem."""
        violations = check_endpoint(url, field)
        if violations:
            raise InvalidRequestError(tuple(violations))
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if self._policy.allowed_hosts and not _allowed(host, self._policy.allowed_hosts):
            raise _refused(field, f"host {host} is not in the endpoint allow-list", "NOT_ALLOWED")
        literal = _address(host)
        if literal is not None:
            addresses: Sequence[str] = (str(literal),)
        else:
            try:
                addresses = await self._resolver.resolve(host, port)
            except OSError:
                addresses = ()
            if not addresses:
                raise _refused(field, f"host {host} does not resolve", "UNRESOLVABLE")
        for text in addresses:
            address = _address(text)
            denied = text if address is None else first_denied(address, self._denied)
            if denied is not None:
                raise _refused(
                    field,
                    f"host {host} resolves to {denied}, a link-local, metadata, private or"
                    " denied address",
                    "INVALID_ENDPOINT",
                )
        return PinnedEndpoint(url.rstrip("/"), host, tuple(dict.fromkeys(addresses)))


def _allowed(host: str, allowed: Sequence[str]) -> bool:
    for entry in allowed:
        entry = entry.lower().rstrip(".")
        if host == entry or (entry.startswith(".") and (host.endswith(entry) or host == entry[1:])):
            return True
    return False


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None


def _refused(field: str, description: str, reason: str) -> InvalidRequestError:
    return InvalidRequestError((FieldViolation(field, description, reason),))
