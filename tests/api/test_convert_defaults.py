"""Conversion shortcuts for fields a request leaves unset give exactly what
converting the empty field would (the default attribution, routing hints and
embedding task type), and a set field still converts."""

from __future__ import annotations

from llmgateway.v1 import gateway_service_pb2, routing_pb2
from llmgw.api import convert
from llmgw.api.billing import attribution_from
from llmgw.domain.principal import ANONYMOUS
from llmgw.domain.requests import Attribution, RoutingHints


def test_embed_defaults_match_the_full_conversion() -> None:
    bare = gateway_service_pb2.EmbedRequest(model="e", inputs=[{"text": "x"}])
    embed = convert.embed_request(bare)
    assert embed.attribution == Attribution()
    assert embed.attribution == attribution_from(routing_pb2.Attribution(), ANONYMOUS)
    assert embed.routing == RoutingHints() == convert._routing(routing_pb2.RoutingOptions())
    assert embed.task_type == "EMBEDDING_TASK_TYPE_UNSPECIFIED"
    assert embed.inputs == ("x",)


def test_embed_set_fields_still_convert() -> None:
    request = gateway_service_pb2.EmbedRequest(
        model="e",
        inputs=[{"text": "x"}],
        task_type=gateway_service_pb2.EMBEDDING_TASK_TYPE_RETRIEVAL_QUERY,
        attribution=routing_pb2.Attribution(project="p"),
        routing=routing_pb2.RoutingOptions(fallback_models=["f"]),
        output_dimensionality=8,
    )
    embed = convert.embed_request(request)
    assert embed.task_type == "EMBEDDING_TASK_TYPE_RETRIEVAL_QUERY"
    assert embed.attribution.project == "p"
    assert embed.routing.fallback_models == ("f",)
    assert embed.dimensions == 8
