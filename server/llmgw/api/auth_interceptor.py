"""The authentication + authorization interceptor (one per port).

For a method its ``AccessRules`` mark open (health, data-plane reflection)
the handler is returned untouched. Every other handler is wrapped, keeping
its cardinality (grpc.aio dispatches on the returned handler's streaming
flags), so that inside the RPC's own task it:

1. reads the credential from metadata (``authorization: Bearer <key or
   JWT>``, else ``x-api-key``), never from a request field;
2. authenticates it (``UNAUTHENTICATED`` + ``API_KEY_INVALID`` otherwise);
   with no such credential and mTLS identities configured, the verified
   client certificate's SANs name the principal instead (``auth.cert_identity``);
3. checks the method's scope (``PERMISSION_DENIED`` + ``PERMISSION_DENIED``;
   a method with no rule is always denied);
4. sets ``current_principal()`` for the handler and resets it after.

Failures are logged with the method and the reason class, never the
credential. The interceptor is only installed when authentication is on;
otherwise handlers see ``ANONYMOUS``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc

from llmgw.api.authz import AccessRules, Needed
from llmgw.api.principal_context import reset_principal, set_principal
from llmgw.api.status import to_status
from llmgw.api.tls import peer_names
from llmgw.auth.authenticator import Authenticator
from llmgw.auth.cert_identity import CertificateIdentities
from llmgw.auth.jwt_verifier import JwtRejected
from llmgw.domain.errors import GatewayError, ScopeDeniedError, UnauthenticatedError
from llmgw.domain.ids import new_id
from llmgw.domain.principal import Principal
from llmgw.observability.logging import get_logger

log = get_logger("llmgw.auth")
Metadata = Sequence[tuple[str, str | bytes]] | None


def credential_from(metadata: Metadata) -> str:
    """The presented credential: ``authorization: Bearer X`` wins over ``x-api-key: X``."""
    bearer = api_key = ""
    for key, value in metadata or ():
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if key == "authorization" and not bearer:
            scheme, _, token = text.strip().partition(" ")
            if scheme.lower() == "bearer":
                bearer = token.strip()
        elif key == "x-api-key" and not api_key:
            api_key = text.strip()
    return bearer or api_key


class AuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    def __init__(
        self,
        authenticator: Authenticator,
        rules: AccessRules,
        identities: CertificateIdentities | None = None,
    ) -> None:
        self._authenticator = authenticator
        self._rules = rules
        self._identities = identities

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        known = self._rules.known(method)
        if handler is None or (known and self._rules.needed(method) is None):
            return handler
        credential = credential_from(handler_call_details.invocation_metadata)
        needed = self._rules.needed(method) if known else frozenset()

        async def admit(context: grpc.aio.ServicerContext) -> object:
            try:
                principal = await self._principal(credential, context)
                _check_scope(principal, method, needed)
            except GatewayError as exc:
                _log_denial(method, exc)
                await context.abort_with_status(to_status(exc, new_id()))
                raise AssertionError("unreachable") from exc
            return set_principal(principal)

        return _wrapped(handler, admit)

    async def _principal(self, credential: str, context: grpc.aio.ServicerContext) -> Principal:
        """A metadata credential decides when sent; else the client certificate."""
        if credential or not self._identities:
            return await self._authenticator.authenticate(credential)
        return self._identities.principal(peer_names(context.auth_context()))


def _check_scope(principal: Principal, method: str, needed: Needed) -> None:
    if not needed or not (principal.scopes & needed):
        want = " or ".join(sorted(needed)) if needed else "a rule (none exists)"
        raise ScopeDeniedError(method, want)


def _log_denial(method: str, exc: GatewayError) -> None:
    kind = "unauthenticated" if isinstance(exc, UnauthenticatedError) else "permission_denied"
    why = exc.why if isinstance(exc, JwtRejected) else type(exc).__name__
    log.info("auth denied", method=method, outcome=kind, reason=why)


def _reset(token: object) -> None:
    # An async generator closed from another task runs in another context.
    with contextlib.suppress(ValueError):
        reset_principal(token)


Admit = Callable[[grpc.aio.ServicerContext], Awaitable[object]]


def _wrapped(handler: grpc.RpcMethodHandler, admit: Admit) -> grpc.RpcMethodHandler:
    """``handler`` with ``admit`` run first in the RPC's task, same cardinality."""
    h: Any = handler
    if h.unary_unary is not None:
        inner = h.unary_unary

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            token = await admit(context)
            try:
                return await inner(request, context)
            finally:
                _reset(token)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary, h.request_deserializer, h.response_serializer
        )
    if h.unary_stream is not None:
        inner_us = h.unary_stream

        async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
            token = await admit(context)
            try:
                async for item in _items(inner_us(request, context)):
                    yield item
            finally:
                _reset(token)

        return grpc.unary_stream_rpc_method_handler(
            unary_stream, h.request_deserializer, h.response_serializer
        )
    if h.stream_unary is not None:
        inner_su = h.stream_unary

        async def stream_unary(requests: Any, context: grpc.aio.ServicerContext) -> Any:
            token = await admit(context)
            try:
                return await inner_su(requests, context)
            finally:
                _reset(token)

        return grpc.stream_unary_rpc_method_handler(
            stream_unary, h.request_deserializer, h.response_serializer
        )
    inner_ss = h.stream_stream

    async def stream_stream(requests: Any, context: grpc.aio.ServicerContext) -> Any:
        token = await admit(context)
        try:
            async for item in _items(inner_ss(requests, context)):
                yield item
        finally:
            _reset(token)

    return grpc.stream_stream_rpc_method_handler(
        stream_stream, h.request_deserializer, h.response_serializer
    )


async def _items(result: Any) -> AsyncIterator[Any]:
    """Items of a streaming handler: an async generator, or a coroutine that
    writes with ``context.write`` and yields nothing here."""
    if hasattr(result, "__aiter__"):
        async for item in result:
            yield item
    else:
        await result
