"""Is a listen address free? Asked before the gRPC servers bind, so that a
taken port is one clear line naming the address (``llmgw serve`` exits 2)
instead of gRPC core's log line and a traceback.

The probe binds a plain socket with ``SO_REUSEADDR`` (as gRPC does, so a port
in ``TIME_WAIT`` counts as free) and closes it at once. Another process could
take the port between the probe and the real bind; that rare race still fails
in ``server._bind`` with an ``OSError`` naming the address.
"""

from __future__ import annotations

import socket


class ListenError(OSError):
    """A listen address cannot be bound; the message names it."""


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` -> (host, port); ``ListenError`` if malformed."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ListenError(f"cannot listen on {address}: expected HOST:PORT")
    return host.strip("[]") or "0.0.0.0", int(port)


def check_free(address: str) -> None:
    """``ListenError`` naming ``address`` when it cannot be bound now (port 0: never)."""
    host, port = split_address(address)
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise ListenError(f"cannot listen on {address}: {exc.strerror or exc}") from None
    for family, kind, proto, _, sockaddr in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(sockaddr)
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise ListenError(f"cannot listen on {address}: {reason.lower()}") from None
