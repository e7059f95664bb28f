"""The key a response cache would use for a chat request, as a hex sha256.

Model, messages, generation config, tools and tool choice, serialized
deterministically; not the request id, attribution or routing options (two
callers asking the same thing are a cache hit whoever bills it). One hash of
the serialized request per call: microseconds for a few kilobytes. A request
that sets none of the ignored fields is hashed as it is (the same bytes as
its copy with them cleared), so the common call copies nothing.
"""

from __future__ import annotations

import hashlib

from llmgateway.v1 import gateway_service_pb2

_IGNORED = ("request_id", "attribution", "routing")


def request_fingerprint(request: gateway_service_pb2.ChatRequest) -> str:
    key = request
    if request.request_id or request.HasField("attribution") or request.HasField("routing"):
        key = gateway_service_pb2.ChatRequest()
        key.CopyFrom(request)
        for name in _IGNORED:
            key.ClearField(name)  # type: ignore[arg-type]
    return hashlib.sha256(key.SerializeToString(deterministic=True)).hexdigest()
