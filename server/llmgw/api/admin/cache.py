"""``AdminService.PurgeResponseCache``: drop one scope's response-cache entries
(exact and semantic; this replica's memory, the shared Redis tier and the shared
semantic index), audited."""

from __future__ import annotations

from llmgateway.v1 import admin_service_pb2

from llmgw.api.admin.audit import AuditTrail
from llmgw.domain.errors import FieldViolation, InvalidRequestError
from llmgw.pipeline.cache.policy import PURGE_SCOPES, purge_scope
from llmgw.pipeline.gateway import Gateway


async def purge_response_cache(
    gateway: Gateway, trail: AuditTrail, name: str
) -> admin_service_pb2.PurgeResponseCacheResponse:
    """Purge the scope ``name`` names; an unknown form is ``INVALID_ARGUMENT``."""
    try:
        scope = purge_scope(name)
    except ValueError:
        violation = FieldViolation("scope", PURGE_SCOPES, "INVALID_SCOPE")
        raise InvalidRequestError((violation,)) from None
    removed = await gateway.purge_cache(scope)
    await trail.record("PurgeResponseCache", name, "success", after={"purged": removed})
    return admin_service_pb2.PurgeResponseCacheResponse(purged_count=removed)


__all__ = ["purge_response_cache"]
