"""``api.billing``: who a request bills, and the per-principal value kept for
requests that name no attribution (it must be exactly what converting the
absent field gives, and never one principal's value for another)."""

from __future__ import annotations

import pytest
from llmgateway.v1 import gateway_service_pb2, routing_pb2
from llmgw.api.billing import DEFAULT_ATTRIBUTION, attribution_from, billing
from llmgw.domain.errors import PermissionDeniedError
from llmgw.domain.principal import ANONYMOUS, Principal
from llmgw.domain.requests import Attribution


def _chat(**fields: object) -> gateway_service_pb2.ChatRequest:
    return gateway_service_pb2.ChatRequest(model="m", **fields)  # type: ignore[arg-type]


def _alice() -> Principal:
    return Principal(
        "key-a", tenant="acme", project="web", projects=frozenset({"ops"}), key_id="a"
    )


def test_a_request_without_attribution_bills_the_principal_defaults() -> None:
    principal = _alice()
    expected = attribution_from(routing_pb2.Attribution(), principal)
    assert expected == Attribution(
        project="web", tenant="acme", key_id="a", principal="key-a"
    )
    first = billing(_chat(), principal)
    assert first == expected
    assert billing(_chat(), principal) is first  # built once per principal object
    embed = gateway_service_pb2.EmbedRequest(model="e", inputs=[{"text": "x"}])
    assert billing(embed, principal) is first


def test_anonymous_bills_the_defaults() -> None:
    assert billing(_chat(), ANONYMOUS) is DEFAULT_ATTRIBUTION
    assert attribution_from(routing_pb2.Attribution(), ANONYMOUS) == DEFAULT_ATTRIBUTION


def test_each_principal_object_gets_its_own_value() -> None:
    alice = billing(_chat(), _alice())
    bob = Principal("key-b", tenant="other", end_user="u7", key_id="b")
    billed = billing(_chat(), bob)
    assert billed == Attribution(end_user_id="u7", tenant="other", key_id="b", principal="key-b")
    # An equal principal that is another object (a re-resolved key) gets an
    # equal value of its own, never a stale one.
    renewed = Principal("key-a", tenant="acme", project="web2", key_id="a")
    assert billing(_chat(), renewed).project == "web2"
    assert alice.project == "web"


def test_a_request_that_names_an_attribution_is_read_every_time() -> None:
    principal = _alice()
    named = _chat(attribution=routing_pb2.Attribution(project="ops", labels={"team": "x"}))
    first = billing(named, principal)
    assert first.project == "ops" and first.labels == (("team", "x"),)
    assert billing(named, principal) is not first
    with pytest.raises(PermissionDeniedError):
        billing(_chat(attribution=routing_pb2.Attribution(project="finance")), principal)
