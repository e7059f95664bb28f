"""Generated stubs for the ``llmgateway.v1`` contract (see proto/llmgateway/v1).

Import the modules directly, e.g.::

    from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc
"""
