"""The response-cache key of a chat request: the ignored fields (request id,
attribution, routing) never change it, whether the request sets them or not,
and everything else does."""

from __future__ import annotations

import hashlib

from helpers import chat
from llmgateway.v1 import gateway_service_pb2, routing_pb2
from llmgw.api.request_fingerprint import request_fingerprint


def _cleared(request: gateway_service_pb2.ChatRequest) -> str:
    key = gateway_service_pb2.ChatRequest()
    key.CopyFrom(request)
    for name in ("request_id", "attribution", "routing"):
        key.ClearField(name)  # type: ignore[arg-type]
    return hashlib.sha256(key.SerializeToString(deterministic=True)).hexdigest()


def test_the_ignored_fields_do_not_change_the_key() -> None:
    plain = chat("m", "hello")
    dressed = chat("m", "hello", request_id="r-1")
    dressed.attribution.CopyFrom(routing_pb2.Attribution(project="p", labels={"a": "b"}))
    dressed.routing.CopyFrom(routing_pb2.RoutingOptions(fallback_models=["x"]))
    assert request_fingerprint(plain) == _cleared(plain)
    assert request_fingerprint(dressed) == _cleared(dressed) == request_fingerprint(plain)
    only_routing = chat("m", "hello")
    only_routing.routing.SetInParent()
    assert request_fingerprint(only_routing) == request_fingerprint(plain)


def test_the_asked_content_changes_the_key() -> None:
    plain = request_fingerprint(chat("m", "hello"))
    assert request_fingerprint(chat("m", "hello!")) != plain
    assert request_fingerprint(chat("other", "hello")) != plain
    tuned = chat("m", "hello")
    tuned.generation_config.temperature = 0.5
    assert request_fingerprint(tuned) != plain
