"""The one error table is complete and consistent with the proto's ErrorReason."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2
from llmgateway.v1 import errors_pb2
from llmgw.api.status import RULES, UPSTREAM_RULES, rule_for, to_status
from llmgw.domain import errors
from llmgw.domain.errors import FailureClass, GatewayError, UpstreamError


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _subclasses(sub)
    return found


def test_every_gateway_error_class_has_a_rule() -> None:
    classes = {c for c in _subclasses(GatewayError) if c.__module__ == errors.__name__}
    unmapped = {c.__name__ for c in classes if not issubclass(c, UpstreamError) and c not in RULES}
    assert not unmapped, f"add these to llmgw.api.status.RULES: {sorted(unmapped)}"


def test_every_failure_class_has_an_upstream_rule() -> None:
    assert set(UPSTREAM_RULES) == set(FailureClass)


def test_every_reason_is_in_the_proto_enum() -> None:
    names = {n.removeprefix("ERROR_REASON_") for n in errors_pb2.ErrorReason.keys()}  # noqa: SIM118 - enum wrapper
    used = {r.reason for r in RULES.values()} | {r.reason for r in UPSTREAM_RULES.values()}
    used.add(rule_for(RuntimeError()).reason)
    assert used <= names, sorted(used - names)


def test_upstream_credential_failure_never_blames_the_caller() -> None:
    rule = UPSTREAM_RULES[FailureClass.CREDENTIAL]
    assert rule.code == grpc.StatusCode.INTERNAL
    assert rule.reason == "UPSTREAM_AUTH_FAILED"


def _decode(status: grpc.Status) -> status_pb2.Status:
    trailers = dict(status.trailing_metadata)
    return status_pb2.Status.FromString(trailers["grpc-status-details-bin"])


def test_rate_limit_carries_retry_info_from_retry_after() -> None:
    error = UpstreamError("openai", FailureClass.RATE_LIMIT, retry_after=2.5)
    status = _decode(to_status(error, "r1"))
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
    retry = error_details_pb2.RetryInfo()
    assert any(d.Unpack(retry) for d in status.details if d.Is(retry.DESCRIPTOR))
    assert retry.retry_delay.seconds == 2 and retry.retry_delay.nanos == 500_000_000


def test_upstream_detail_never_reaches_the_caller() -> None:
    error = UpstreamError(
        "openai", FailureClass.TRANSIENT, detail="HTTP 500 body echoing sk-secret-prompt"
    )
    status = _decode(to_status(error, "r1"))
    assert "sk-secret" not in status.message
    assert b"sk-secret" not in status.SerializeToString()


def test_unexpected_exceptions_are_internal_without_their_text() -> None:
    status = _decode(to_status(ValueError("db password=hunter2"), "r9"))
    assert status.code == grpc.StatusCode.INTERNAL.value[0]
    assert b"hunter2" not in status.SerializeToString()
    info = error_details_pb2.ErrorInfo()
    assert any(d.Unpack(info) for d in status.details if d.Is(info.DESCRIPTOR))
    assert info.reason == "INTERNAL"
