"""Listen addresses: is this one reachable only from this host?"""

from __future__ import annotations

import ipaddress

_LOCAL_NAMES = frozenset({"localhost", "ip6-localhost"})


def is_loopback(address: str) -> bool:
    """True for ``127.0.0.0/8``, ``[::1]``, ``localhost`` and unix sockets;
    false for wildcards (``[::]``, ``0.0.0.0``) and every other host."""
    if address.startswith(("unix:", "unix-abstract:")):
        return True
    host = address.rsplit(":", 1)[0] if ":" in address else address
    host = host.strip("[]").lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
