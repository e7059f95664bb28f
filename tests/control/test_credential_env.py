"""CreateBackend's ``credential_ref: env://NAME`` reads only declared variables.

Finding (issue 10, item 7): any variable could be read and sent as a bearer
token to an endpoint the admin caller chose (``env://PATH``,
``env://AWS_SECRET_ACCESS_KEY``). Now only names declared in
``endpoints.credential_env`` (default: the documented prefix ``UPSTREAM_KEY_*``)
are read; the rest are INVALID_ARGUMENT on ``backend.credential_ref``, audited
as failures, with nothing created, nothing sent and no value in any answer.
"""

from __future__ import annotations

import grpc
import pytest
from conftest import gateway_at
from google.rpc import error_details_pb2
from helpers import detail
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc
from llmgw.config import Settings
from llmgw.domain.credentials import EnvCredentialPolicy, EnvCredentials, credential_refusal
from pydantic import ValidationError
from upstream_fakes import FakeOpenAI

_pb = admin_service_pb2
AWS = "sk-canary-aws-secret-0123456789"
DECLARED = "sk-canary-declared-0123456789"
PREFIXED = "sk-canary-prefixed-0123456789"
ENV = {
    "AWS_SECRET_ACCESS_KEY": AWS,
    "PATH": "/usr/bin:/bin",
    "TEAM_OPENAI_KEY": DECLARED,
    "UPSTREAM_KEY_VLLM": PREFIXED,
    "LLMGW_ADMIN_KEY": "sk-canary-admin-0123456789",
}


def test_policy_reads_only_declared_names_never_the_gateways_own() -> None:
    policy = EnvCredentialPolicy(
        allowed=("TEAM_OPENAI_KEY", "UPSTREAM_KEY_*", "LLMGW_*"), refused=frozenset({"JWT_KEY"})
    )
    reader = EnvCredentials(policy, ENV.get)
    assert reader("TEAM_OPENAI_KEY") == DECLARED
    assert reader("UPSTREAM_KEY_VLLM") == PREFIXED
    for name in ("AWS_SECRET_ACCESS_KEY", "PATH", "TEAM_OPENAI_KEY_2", "UPSTREAM_KEY"):
        assert reader(name) is None
        assert "not declared" in (credential_refusal(name, reader) or "")
    for name in ("LLMGW_ADMIN_KEY", "JWT_KEY"):  # declared by a pattern, still refused
        assert reader(name) is None
        assert "gateway's own" in (credential_refusal(name, reader) or "")
    assert credential_refusal("PATH", ENV.get) is None  # a plain reader decides alone
    default = EnvCredentials(EnvCredentialPolicy(), ENV.get)
    assert default("UPSTREAM_KEY_VLLM") == PREFIXED and default("TEAM_OPENAI_KEY") is None


def test_declarations_are_names_or_prefixes() -> None:
    for bad in ("*", "A B", "X*Y", "$HOME"):
        with pytest.raises(ValidationError):
            Settings.model_validate({"endpoints": {"credential_env": [bad]}})
    settings = Settings.model_validate({"endpoints": {"credential_env": ["OPENAI_*", "K"]}})
    assert settings.endpoints.credential_env == ["OPENAI_*", "K"]
    assert Settings().endpoints.credential_env == ["UPSTREAM_KEY_*"]


def _create(url: str, ref: str, backend_id: str) -> admin_service_pb2.CreateBackendRequest:
    return _pb.CreateBackendRequest(
        backend_id=backend_id,
        backend=_pb.Backend(
            type=_pb.BACKEND_TYPE_OPENAI_COMPATIBLE,
            endpoint_uri=url,
            credential_ref=ref,
            served_models=[_pb.ServedModel(model_id=f"{backend_id}-chat")],
        ),
    )


async def test_undeclared_variables_are_refused_audited_and_never_sent() -> None:
    config = {"endpoints": {"credential_env": ["TEAM_OPENAI_KEY", "UPSTREAM_KEY_*"]}}
    async with FakeOpenAI(api_key=None) as upstream, gateway_at(config, ENV) as gw:
        async with grpc.aio.insecure_channel(gw.admin_address) as channel:
            admin = admin_service_pb2_grpc.AdminServiceStub(channel)
            refused = ["PATH", "AWS_SECRET_ACCESS_KEY", "LLMGW_ADMIN_KEY", "HOME"]
            answers: list[str] = []
            for name in refused:
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await admin.CreateBackend(_create(upstream.base_url, f"env://{name}", "x"))
                assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, name
                bad = detail(caught.value, error_details_pb2.BadRequest)
                violation = bad.field_violations[0]  # type: ignore[attr-defined]
                assert violation.field == "backend.credential_ref"
                assert name in violation.description
                answers.append(str(caught.value.details()) + str(bad))
            for ref, backend_id in (
                ("env://TEAM_OPENAI_KEY", "declared"),
                ("env://UPSTREAM_KEY_VLLM", "prefixed"),
            ):
                await admin.CreateBackend(_create(upstream.base_url, ref, backend_id))
            events = (await admin.ListAuditEvents(_pb.ListAuditEventsRequest())).events
    outcomes = [(e.action, e.target, e.outcome) for e in events]
    failure = ("CreateBackend", "backends/x", _pb.AUDIT_OUTCOME_FAILURE)
    assert outcomes.count(failure) == len(refused)
    audited = " ".join(e.after_json + e.before_json for e in events)
    assert "PATH" in audited and "AWS_SECRET_ACCESS_KEY" in audited  # the refusal is named
    for secret in (AWS, "/usr/bin", "sk-canary-admin"):
        assert all(secret not in text for text in answers)
        assert secret not in audited
    assert upstream.requests == []  # nothing was sent anywhere with any of them
