"""``AdminService.CreateBackend``'s request as a ``BackendSpec`` (pure, no I/O).

Everything that needs no network is checked here, every bad field reported at
once as a ``FieldViolation`` (``INVALID_ARGUMENT`` + ``BadRequest``):

* ``backend_id``: ``[a-z][a-z0-9-]{0,62}`` (the last segment of
  ``backends/{id}``);
* ``backend.type``: ``VLLM``, ``OPENAI_COMPATIBLE`` and ``OPENAI`` use the
  OpenAI-compatible adapter (``VLLM`` probes ``/health``), ``ANTHROPIC`` the
  Anthropic one; any other type is refused;
* ``backend.served_models``: at least one; ``model_id`` non-empty, unique,
  without ``/`` (``backend/model`` is how callers pin a backend);
  ``upstream_model`` defaults to ``model_id``; token limits >= 0; a model with
  ``CAPABILITY_EMBEDDINGS`` is an embedding model, others are chat models;
* ``backend.credential_ref``: empty (no key) or ``env://VAR_NAME``, read
  through the injected ``Credentials`` callable (the composition root decides
  which variables may be read). The value becomes the backend's one key and is
  never echoed: not in answers, errors, logs or audit rows;
* ``request_timeout`` in [0, 1 h] and ``max_concurrent_request_count`` >= 0
  (0 = default).

The endpoint is *not* checked here: ``control/backends.py`` passes ``base_url``
through the SSRF guard (``outbound.endpoint_guard``), which needs DNS, then
probes or registers the backend.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from llmgateway.v1 import admin_service_pb2, routing_pb2

from llmgw.api import convert
from llmgw.api.checks import duration_seconds
from llmgw.domain.backends import BackendKind, BackendSpec
from llmgw.domain.credentials import credential_refusal
from llmgw.domain.errors import FieldViolation, InvalidRequestError
from llmgw.domain.models import Capability, ModelInfo, ModelType
from llmgw.domain.secret import Secret
from llmgw.providers.presets import PRESETS

Credentials = Callable[[str], str | None]
"""Env var name -> its value, or ``None`` when unset or not allowed."""

BACKEND_ID = re.compile(r"[a-z][a-z0-9-]{0,62}")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_ENV_SCHEME = "env://"
MAX_REQUEST_TIMEOUT_SECONDS = 3600.0
_pb = admin_service_pb2
_KINDS: dict[int, tuple[BackendKind, str]] = {
    _pb.BACKEND_TYPE_VLLM: (BackendKind.OPENAI_COMPATIBLE, "vllm"),
    _pb.BACKEND_TYPE_OPENAI_COMPATIBLE: (BackendKind.OPENAI_COMPATIBLE, ""),
    _pb.BACKEND_TYPE_OPENAI: (BackendKind.OPENAI, ""),
    _pb.BACKEND_TYPE_ANTHROPIC: (BackendKind.ANTHROPIC, ""),
}
_CAPABILITIES_IN = {v: k for k, v in convert.CAPABILITIES.items()}


def backend_id(value: str) -> str:
    """The validated id, or ``InvalidRequestError`` on ``backend_id``."""
    if not BACKEND_ID.fullmatch(value):
        raise InvalidRequestError(
            (
                FieldViolation(
                    "backend_id",
                    "must match [a-z][a-z0-9-]{0,62} (lowercase letter first)",
                    "INVALID_ID",
                ),
            )
        )
    return value


def spec_from_request(
    name: str, backend: admin_service_pb2.Backend, credentials: Credentials
) -> BackendSpec:
    """The backend to create (``base_url`` still unvalidated), or
    ``InvalidRequestError`` naming every bad field."""
    violations: list[FieldViolation] = []
    kind = _KINDS.get(backend.type)
    if kind is None:
        allowed = "BACKEND_TYPE_VLLM, BACKEND_TYPE_OPENAI_COMPATIBLE, BACKEND_TYPE_OPENAI"
        violations.append(
            FieldViolation(
                "backend.type",
                f"must be one of {allowed}, BACKEND_TYPE_ANTHROPIC",
                "UNSUPPORTED_TYPE",
            )
        )
    if not backend.endpoint_uri.strip():
        violations.append(FieldViolation("backend.endpoint_uri", "is required", "REQUIRED"))
    models = _models(name, backend.served_models, violations)
    keys = _credential(backend.credential_ref.strip(), credentials, violations)
    timeout = _timeout(backend, violations)
    if backend.max_concurrent_request_count < 0:
        violations.append(FieldViolation("backend.max_concurrent_request_count", "must be >= 0"))
    if violations or kind is None:
        raise InvalidRequestError(tuple(violations))
    kind_value, preset = kind
    defaults = BackendSpec(name=name, kind=kind_value, base_url="", models=())
    return BackendSpec(
        name=name,
        kind=kind_value,
        base_url=backend.endpoint_uri.strip().rstrip("/"),
        models=models,
        api_keys=keys,
        preset=preset,
        request_timeout=timeout or defaults.request_timeout,
        max_connections=backend.max_concurrent_request_count or defaults.max_connections,
        health_path=PRESETS[preset].health_path if preset else "",
    )


def _models(
    backend: str,
    served: Any,  # RepeatedCompositeFieldContainer[ServedModel]
    violations: list[FieldViolation],
) -> tuple[ModelInfo, ...]:
    if not served:
        violations.append(
            FieldViolation("backend.served_models", "at least one model is required", "REQUIRED")
        )
    models: list[ModelInfo] = []
    seen: set[str] = set()
    for i, model in enumerate(served):
        where = f"backend.served_models[{i}]"
        model_id = model.model_id.strip()
        if not model_id or "/" in model_id or len(model_id) > 256:
            violations.append(
                FieldViolation(f"{where}.model_id", "must be 1-256 characters without '/'")
            )
            continue
        if model_id in seen:
            violations.append(
                FieldViolation(f"{where}.model_id", f"{model_id!r} is listed twice", "DUPLICATE")
            )
            continue
        seen.add(model_id)
        capabilities = _capabilities(where, model.capabilities, violations)
        for field in ("input_token_limit", "output_token_limit"):
            if getattr(model, field) < 0:
                violations.append(FieldViolation(f"{where}.{field}", "must be >= 0"))
        embedding = Capability.EMBEDDINGS in capabilities
        models.append(
            ModelInfo(
                id=model_id,
                backend=backend,
                upstream_id=model.upstream_model.strip() or model_id,
                type=ModelType.EMBEDDING if embedding else ModelType.CHAT,
                display_name=model_id,
                capabilities=frozenset(capabilities),
                context_window=max(0, model.input_token_limit),
                max_output_tokens=max(0, model.output_token_limit),
            )
        )
    return tuple(models)


def _timeout(backend: admin_service_pb2.Backend, violations: list[FieldViolation]) -> float:
    try:
        return duration_seconds(
            backend.request_timeout, "backend.request_timeout", MAX_REQUEST_TIMEOUT_SECONDS
        )
    except InvalidRequestError as exc:
        violations.extend(exc.violations)
        return 0.0


def _capabilities(where: str, values: Any, violations: list[FieldViolation]) -> set[Capability]:
    capabilities: set[Capability] = set()
    for value in values:
        capability = _CAPABILITIES_IN.get(value)
        if capability is None:
            name = routing_pb2.Capability.Name(value) if value >= 0 else str(value)
            violations.append(
                FieldViolation(f"{where}.capabilities", f"{name} is not a capability")
            )
        else:
            capabilities.add(capability)
    return capabilities


def _credential(
    ref: str, credentials: Credentials, violations: list[FieldViolation]
) -> tuple[Secret, ...]:
    if not ref:
        return ()
    field = "backend.credential_ref"
    if not ref.startswith(_ENV_SCHEME):
        violations.append(
            FieldViolation(
                field,
                "must be env://VAR_NAME (other schemes are not supported)",
                "UNSUPPORTED_SCHEME",
            )
        )
        return ()
    variable = ref.removeprefix(_ENV_SCHEME)
    if not _ENV_VAR.fullmatch(variable):
        violations.append(FieldViolation(field, "env://VAR_NAME: not a variable name"))
        return ()
    refusal = credential_refusal(variable, credentials)
    if refusal is not None:
        violations.append(FieldViolation(field, refusal, "CREDENTIAL_NOT_ALLOWED"))
        return ()
    value = credentials(variable)
    if not value:
        violations.append(
            FieldViolation(
                field,
                f"environment variable {variable} is not set, or may not be used as a credential",
                "CREDENTIAL_UNAVAILABLE",
            )
        )
        return ()
    return (Secret(value),)


__all__ = ["BACKEND_ID", "Credentials", "backend_id", "spec_from_request"]
