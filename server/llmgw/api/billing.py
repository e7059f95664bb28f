"""Who a data-plane request bills: its ``Attribution``.

Identity fields (tenant, key id, principal) come from the authenticated
principal, never from the body. The body's ``attribution`` may choose a
project among those the principal may bill (``PermissionDeniedError``
otherwise) and add labels; the principal's default project and fixed end
user fill what it leaves empty. A request without the field bills the
principal's defaults: the same value for every such call of one principal,
so it is built once per principal object (the authenticator keeps one per
credential) rather than per call, where reading the absent proto
sub-message and its label map costs more than the rest of the conversion.
"""

from __future__ import annotations

from llmgateway.v1 import gateway_service_pb2, routing_pb2

from llmgw.domain.errors import PermissionDeniedError
from llmgw.domain.principal import ANONYMOUS, Principal
from llmgw.domain.requests import Attribution

DEFAULT_ATTRIBUTION = Attribution()
_NO_ATTRIBUTION = routing_pb2.Attribution()
_MAX_PRINCIPALS = 4096
# id(principal) -> (principal, what a request naming no attribution bills).
# The entry holds the principal, so no other object has that id while it is
# kept; bounded: cleared at ``_MAX_PRINCIPALS`` entries.
_BY_PRINCIPAL: dict[int, tuple[Principal, Attribution]] = {}


def billing(
    request: gateway_service_pb2.ChatRequest | gateway_service_pb2.EmbedRequest,
    principal: Principal,
) -> Attribution:
    """The attribution ``request`` bills when ``principal`` sends it."""
    if request.HasField("attribution"):
        return attribution_from(request.attribution, principal)
    if principal is ANONYMOUS:
        return DEFAULT_ATTRIBUTION
    known = _BY_PRINCIPAL.get(id(principal))
    if known is not None and known[0] is principal:
        return known[1]
    attribution = attribution_from(_NO_ATTRIBUTION, principal)
    if len(_BY_PRINCIPAL) >= _MAX_PRINCIPALS:
        _BY_PRINCIPAL.clear()
    _BY_PRINCIPAL[id(principal)] = (principal, attribution)
    return attribution


def attribution_from(attribution: routing_pb2.Attribution, principal: Principal) -> Attribution:
    """The body selects among what the principal may bill; the principal's
    default project and fixed end user fill what the body leaves empty.
    ``PermissionDeniedError`` when the body names a project it may not bill."""
    project = attribution.project.removeprefix("projects/")
    if project and not principal.may_bill(project):
        raise PermissionDeniedError(
            f"this credential may not bill project {project!r}",
            {"project": project, "principal": principal.subject},
        )
    return Attribution(
        project=project or principal.project,
        end_user_id=principal.end_user or attribution.end_user_id,
        labels=tuple(sorted(attribution.labels.items())),
        tenant=principal.tenant,
        key_id=principal.key_id,
        principal=principal.subject,
    )


__all__ = ["DEFAULT_ATTRIBUTION", "attribution_from", "billing"]
