"""What the CLI says when a call fails: the gateway's own message, or, for the
failures a person at a terminal makes, what happened and what to do.

* nothing listening at the address: "not reachable at ADDRESS" and the option
  (and env var) that points the command elsewhere;
* the right address of the wrong plane (a data-plane command sent to the admin
  port, or the reverse): gRPC answers ``UNIMPLEMENTED: Method not found!``;
  we name the plane the port serves instead;
* an unknown model: the closest model ids and aliases the gateway serves
  (``difflib``, computed here from ``ListModels``: the server's message stays
  the same for every client).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

import grpc


class CallError(Exception):
    """The gateway answered an RPC with an error status (``code`` is its name)."""

    def __init__(self, code: str, details: str) -> None:
        super().__init__(f"{code}: {details}")
        self.code = code
        self.details = details


@dataclass(frozen=True, slots=True)
class Plane:
    """One of the two listeners, as the CLI's options name it."""

    service: str
    option: str
    envvar: str
    default: str
    other: str  # the plane a confused port probably is


DATA = Plane(
    "llmgateway.v1.GatewayService", "--address", "LLMGW_ADDRESS", "127.0.0.1:50051", "admin"
)
ADMIN = Plane(
    "llmgateway.v1.AdminService", "--admin", "LLMGW_ADMIN_ADDRESS", "127.0.0.1:50052", "data"
)


def call_error(exc: grpc.aio.AioRpcError, address: str, plane: Plane) -> CallError:
    """A ``CallError`` whose message tells a person what to do."""
    code, details = exc.code(), exc.details() or ""
    if code is grpc.StatusCode.UNAVAILABLE and not _answered(exc):
        return CallError(
            "UNAVAILABLE",
            f"the gateway is not reachable at {address}: start it with `llmgw serve`, "
            f"or point at another one with {plane.option} HOST:PORT (or {plane.envvar})",
        )
    if code is grpc.StatusCode.UNIMPLEMENTED and "method not found" in details.lower():
        return CallError(
            "UNIMPLEMENTED",
            f"{address} does not serve {plane.service}: it is probably the {plane.other} "
            f"port; use {plane.option} with the {_plane_name(plane)} address "
            f"(default {plane.default})",
        )
    return CallError(code.name, details)


def _plane_name(plane: Plane) -> str:
    return "data-plane" if plane is DATA else "admin-plane"


def _answered(exc: grpc.aio.AioRpcError) -> bool:
    """True when a server sent this UNAVAILABLE (e.g. draining), not the channel."""
    return bool(exc.trailing_metadata()) or bool(exc.initial_metadata())


def closest(name: str, known: Iterable[str], limit: int = 3) -> list[str]:
    """The served names nearest to ``name`` (case-insensitive), best first."""
    by_lower = {k.lower(): k for k in known}
    hits = difflib.get_close_matches(name.lower(), list(by_lower), n=limit, cutoff=0.6)
    return [by_lower[h] for h in hits]
