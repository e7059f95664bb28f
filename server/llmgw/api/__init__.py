"""The gRPC edge: the ONLY package that imports grpc or the generated stubs.

Public modules (each lists its names in ``__all__``):

* ``server`` -- ``GatewayServers``: both grpc.aio servers, health, reflection;
* ``gateway_servicer`` -- ``GatewayService`` (Chat, StreamChat, Embed, ...);
* ``admin`` -- ``AdminService`` (``admin.servicer``) and its conversions;
* ``error_seam`` -- ``end_rpc``: the one way an RPC ends with an error;
* ``edge`` -- every method handler wrapped once at registration: never
  ``UNKNOWN``, undecodable bytes are ``INVALID_ARGUMENT``, every RPC's final
  code counted;
* ``edge_auth``, ``authz``, ``principal_context`` -- who calls, and
  which methods each scope may call;
* ``status`` -- the domain error -> ``google.rpc.Status`` table;
* ``convert``, ``convert_out``, ``validation``, ``checks``, ``page_tokens``
  -- pure proto <-> domain conversion and field checks.
"""
