"""JWT bearer tokens: pinned algorithms, required iss/aud/exp, JWKS in the background."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
import jwt
import pytest
from aiohttp import web
from conftest import gateway_at
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers import chat
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc, gateway_service_pb2_grpc
from llmgw.auth.jwt_verifier import JwtRejected, JwtVerifier, StaticKey
from llmgw.config import JwtConfig
from llmgw.domain.jwt_policy import JwtPolicy
from llmgw.domain.principal import Scope
from llmgw.outbound.jwks import JwksFetcher
from pydantic import ValidationError

ISSUER, AUDIENCE = "https://issuer.example", "llmgw"
PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = PRIVATE.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
HS_SECRET = "hs-secret-for-tests-0123456789abcdef0123"
RS = JwtPolicy(issuer=ISSUER, audience=AUDIENCE, algorithms=("RS256",))


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "exp": now + 300, "iat": now}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _rs(claims: dict[str, Any], kid: str | None = None) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, PRIVATE, algorithm="RS256", headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_valid_token_names_subject_tenant_and_default_scopes() -> None:
    verified = JwtVerifier(RS, StaticKey(PUBLIC_PEM)).verify(
        _rs(_claims(tenant="acme", project="projects/p1"))
    )
    principal = verified.principal
    assert (principal.subject, principal.tenant, principal.project) == ("user-1", "acme", "p1")
    assert principal.scopes == {Scope.CHAT, Scope.EMBED}
    assert verified.expires_at > time.time()


def test_admin_role_claim_grants_admin_scopes_and_scope_claim_narrows() -> None:
    verifier = JwtVerifier(RS, StaticKey(PUBLIC_PEM))
    admin = verifier.verify(_rs(_claims(roles=["admin"], scope="chat"))).principal
    assert admin.scopes == {Scope.CHAT, Scope.ADMIN_READ, Scope.ADMIN_WRITE}
    plain = verifier.verify(_rs(_claims(roles="viewer", scope="embed admin:bogus"))).principal
    assert plain.scopes == {Scope.EMBED}


@pytest.mark.parametrize(
    "claims",
    [
        _claims(exp=int(time.time()) - 120),  # expired beyond the 30 s leeway
        _claims(aud="someone-else"),
        _claims(iss="https://evil.example"),
        _claims(exp=None),  # exp is required
        _claims(sub=None),
    ],
    ids=["expired", "wrong-audience", "wrong-issuer", "no-exp", "no-sub"],
)
def test_rejected_claims(claims: dict[str, Any]) -> None:
    with pytest.raises(JwtRejected):
        JwtVerifier(RS, StaticKey(PUBLIC_PEM)).verify(_rs(claims))


def test_alg_none_is_rejected() -> None:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    token = f"{header}.{_b64(json.dumps(_claims()).encode())}."
    with pytest.raises(JwtRejected) as caught:
        JwtVerifier(RS, StaticKey(PUBLIC_PEM)).verify(token)
    assert "not allowed" in caught.value.why


def test_hs_rs_confusion_is_rejected() -> None:
    """An HS256 token 'signed' with the RSA public key (the classic attack)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(_claims(roles=["admin"])).encode())
    signature = hmac.new(PUBLIC_PEM, f"{header}.{body}".encode(), hashlib.sha256).digest()
    token = f"{header}.{body}.{_b64(signature)}"
    with pytest.raises(JwtRejected):
        JwtVerifier(RS, StaticKey(PUBLIC_PEM)).verify(token)
    # And an HS-only verifier never accepts an RS token.
    hs = JwtPolicy(issuer=ISSUER, audience=AUDIENCE, algorithms=("HS256",))
    with pytest.raises(JwtRejected):
        JwtVerifier(hs, StaticKey(HS_SECRET)).verify(_rs(_claims()))


def test_bad_signature_and_garbage_are_rejected() -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(_claims(), other, algorithm="RS256")
    verifier = JwtVerifier(RS, StaticKey(PUBLIC_PEM))
    for token in (forged, "a.b.c", "not-a-token"):
        with pytest.raises(JwtRejected):
            verifier.verify(token)


def test_config_refuses_mixed_algorithms_and_missing_parts() -> None:
    base = {"issuer": ISSUER, "audience": AUDIENCE}
    with pytest.raises(ValidationError, match="do not mix"):
        JwtConfig.model_validate({**base, "algorithms": ["HS256", "RS256"], "secret_env": "X"})
    with pytest.raises(ValidationError, match="audience"):
        JwtConfig.model_validate({"issuer": ISSUER, "jwks_url": "https://x/jwks"})
    with pytest.raises(ValidationError, match="jwks_url or public_key_file"):
        JwtConfig.model_validate(base)
    with pytest.raises(ValidationError):
        JwtConfig.model_validate({**base, "algorithms": ["none"], "jwks_url": "https://x"})


@pytest.fixture
async def jwks_server() -> AsyncIterator[tuple[str, dict[str, Any]]]:
    state: dict[str, Any] = {"keys": [], "hits": 0}

    async def handler(_: web.Request) -> web.Response:
        state["hits"] += 1
        return web.json_response({"keys": state["keys"]})

    app = web.Application()
    app.router.add_get("/jwks", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/jwks", state
    finally:
        await runner.cleanup()


def _jwk(kid: str) -> dict[str, Any]:
    data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(PRIVATE.public_key()))
    return {**data, "kid": kid, "use": "sig", "alg": "RS256"}


async def test_jwks_keys_load_at_start_and_a_new_kid_triggers_a_background_refresh(
    jwks_server: tuple[str, dict[str, Any]],
) -> None:
    url, state = jwks_server
    state["keys"] = [_jwk("k1")]
    fetcher = JwksFetcher(url, refresh_seconds=3600, min_refresh_seconds=0)
    await fetcher.start()
    try:
        verifier = JwtVerifier(RS, fetcher)
        assert verifier.verify(_rs(_claims(), kid="k1")).principal.subject == "user-1"
        hits = state["hits"]
        state["keys"] = [_jwk("k1"), _jwk("k2")]
        with pytest.raises(JwtRejected):  # unknown kid: rejected, no fetch inline
            verifier.verify(_rs(_claims(), kid="k2"))
        assert state["hits"] == hits  # nothing was fetched on the request path
        deadline = time.monotonic() + 10
        while fetcher.key_for("k2") is None:
            assert time.monotonic() < deadline, "background refresh did not happen"
            await asyncio.sleep(0.01)
        assert verifier.verify(_rs(_claims(), kid="k2")).principal.subject == "user-1"
    finally:
        await fetcher.stop()


async def test_gateway_accepts_jwt_and_maps_the_admin_role() -> None:
    settings = {
        "auth": {
            "jwt": {
                "issuer": ISSUER,
                "audience": AUDIENCE,
                "algorithms": ["HS256"],
                "secret_env": "TEST_JWT_SECRET",
            }
        }
    }

    def token(**extra: Any) -> str:
        return jwt.encode(_claims(**extra), HS_SECRET, algorithm="HS256")

    async with gateway_at(settings, {"TEST_JWT_SECRET": HS_SECRET}) as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            reply = await stub.Chat(
                chat("demo-chat"), metadata=(("authorization", f"Bearer {token()}"),)
            )
            assert reply.candidates
            expired = token(exp=int(time.time()) - 600)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.Chat(
                    chat("demo-chat"), metadata=(("authorization", f"Bearer {expired}"),)
                )
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert expired not in str(caught.value)
        async with grpc.aio.insecure_channel(running.admin_address) as channel:
            admin = admin_service_pb2_grpc.AdminServiceStub(channel)
            request = admin_service_pb2.ListApiKeysRequest()
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await admin.ListApiKeys(request, metadata=(("authorization", f"Bearer {token()}"),))
            assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
            as_admin = (("authorization", f"Bearer {token(roles=['admin'])}"),)
            assert (await admin.ListApiKeys(request, metadata=as_admin)).api_keys == []
