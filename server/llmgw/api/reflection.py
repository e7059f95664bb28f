"""Server reflection in both protocols: ``grpc.reflection.v1`` and ``v1alpha``.

grpcio-reflection ships only the ``v1alpha`` service. The two protocols are
wire-identical (same messages, same field numbers; only the proto package
differs), so ``v1`` is served by the same servicer and message classes under
the ``v1`` service name, and a ``v1`` copy of the reflection descriptor is added
to the default pool so reflection clients can describe the ``v1`` service too.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc

V1ALPHA_SERVICE: str = reflection.SERVICE_NAME
V1_SERVICE = "grpc.reflection.v1.ServerReflection"
_V1ALPHA_PREFIX = ".grpc.reflection.v1alpha."
_V1_PREFIX = ".grpc.reflection.v1."


def _v1_type(name: str) -> str:
    if name.startswith(_V1ALPHA_PREFIX):
        return _V1_PREFIX + name.removeprefix(_V1ALPHA_PREFIX)
    return name


def _rename_messages(messages: Iterable[descriptor_pb2.DescriptorProto]) -> None:
    for message in messages:
        for field in message.field:
            if field.HasField("type_name"):
                field.type_name = _v1_type(field.type_name)
        _rename_messages(message.nested_type)


def _register_v1_descriptor() -> None:
    pool = descriptor_pool.Default()
    try:
        pool.FindServiceByName(V1_SERVICE)
        return
    except KeyError:
        pass
    proto = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(proto)
    proto.name = "grpc/reflection/v1/reflection.proto"
    proto.package = "grpc.reflection.v1"
    proto.ClearField("options")
    _rename_messages(proto.message_type)
    for service in proto.service:
        for method in service.method:
            method.input_type = _v1_type(method.input_type)
            method.output_type = _v1_type(method.output_type)
    pool.AddSerializedFile(proto.SerializeToString())


def enable_reflection(service_names: Iterable[str], server: grpc.aio.Server) -> None:
    """Serve ``v1alpha`` and ``v1`` reflection listing ``service_names`` plus both."""
    _register_v1_descriptor()
    names = (*service_names, V1_SERVICE, V1ALPHA_SERVICE)
    servicer = reflection.aio.ReflectionServicer(names)
    # Not reflection.enable_server_reflection: it insists on a grpc.aio.Server,
    # and ``server`` may be the edge's registrar (api/edge.py).
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(V1_SERVICE, {"ServerReflectionInfo": handler}),)
    )
