"""Name resolution for the endpoint guard (the ``Resolver`` port) and the pinned
resolver adapters use to connect only to validated addresses."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence

from aiohttp.abc import AbstractResolver, ResolveResult


class SystemResolver:
    """The operating system's resolver (``getaddrinfo`` on the event loop)."""

    async def resolve(self, host: str, port: int) -> Sequence[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


class PinnedResolver(AbstractResolver):
    """Answers ``host`` with the addresses validated for it, and nothing else.

    No DNS query is made at connect time, so a record changed after the
    admin call was validated (DNS rebinding) cannot move the connection;
    any other name fails, so nothing can make this session reach elsewhere.
    """

    def __init__(self, host: str, addresses: Sequence[str]) -> None:
        self._host = host.lower().rstrip(".")
        self._addresses = tuple(addresses)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host.lower().rstrip(".") != self._host:
            raise OSError(f"{host} is not the pinned host of this backend")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self._addresses
        ]

    async def close(self) -> None:
        return None
