import type { GenEnum, GenFile } from "@bufbuild/protobuf/codegenv2";
/**
 * Describes the file llmgateway/v1/errors.proto.
 */
export declare const file_llmgateway_v1_errors: GenFile;
/**
 * Values of google.rpc.ErrorInfo.reason for ErrorInfo.domain
 * "llmgateway.example.com". On the wire `reason` is the value name WITHOUT
 * the "ERROR_REASON_" prefix (e.g. "BUDGET_EXHAUSTED"); the prefix exists only
 * to satisfy buf ENUM_VALUE_PREFIX. Anchor: google/api/error_reason.proto,
 * which documents the reasons of the googleapis.com domain the same way.
 * This enum is documentation + codegen for clients; it is never a field.
 *
 * @generated from enum llmgateway.v1.ErrorReason
 */
export declare enum ErrorReason {
    /**
     * @generated from enum value: ERROR_REASON_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * NOT_FOUND. metadata: model.
     *
     * @generated from enum value: ERROR_REASON_MODEL_NOT_FOUND = 1;
     */
    MODEL_NOT_FOUND = 1,
    /**
     * PERMISSION_DENIED. metadata: model, project.
     *
     * @generated from enum value: ERROR_REASON_MODEL_ACCESS_DENIED = 2;
     */
    MODEL_ACCESS_DENIED = 2,
    /**
     * RESOURCE_EXHAUSTED + QuotaFailure, no RetryInfo.
     * metadata: budget, limit, spent, currencyCode, resetTime.
     *
     * @generated from enum value: ERROR_REASON_BUDGET_EXHAUSTED = 3;
     */
    BUDGET_EXHAUSTED = 3,
    /**
     * RESOURCE_EXHAUSTED + QuotaFailure + RetryInfo.
     * metadata: limitName, limit, windowSeconds.
     *
     * @generated from enum value: ERROR_REASON_RATE_LIMITED = 4;
     */
    RATE_LIMITED = 4,
    /**
     * RESOURCE_EXHAUSTED + RetryInfo (upstream 429 after fallbacks).
     * metadata: backend.
     *
     * @generated from enum value: ERROR_REASON_UPSTREAM_RATE_LIMITED = 5;
     */
    UPSTREAM_RATE_LIMITED = 5,
    /**
     * UNAVAILABLE + RetryInfo. metadata: model, triedBackends.
     *
     * @generated from enum value: ERROR_REASON_NO_HEALTHY_BACKEND = 6;
     */
    NO_HEALTHY_BACKEND = 6,
    /**
     * UNAVAILABLE + RetryInfo (upstream 503/529 overloaded). metadata: backend.
     *
     * @generated from enum value: ERROR_REASON_BACKEND_OVERLOADED = 7;
     */
    BACKEND_OVERLOADED = 7,
    /**
     * INTERNAL (operator must fix the gateway's upstream key; NOT
     * UNAUTHENTICATED, which would blame the caller). metadata: backend.
     *
     * @generated from enum value: ERROR_REASON_UPSTREAM_AUTH_FAILED = 8;
     */
    UPSTREAM_AUTH_FAILED = 8,
    /**
     * INVALID_ARGUMENT + BadRequest.
     *
     * @generated from enum value: ERROR_REASON_INVALID_REQUEST = 9;
     */
    INVALID_REQUEST = 9,
    /**
     * INVALID_ARGUMENT + BadRequest. metadata: model, inputTokenLimit,
     * inputTokenCount.
     *
     * @generated from enum value: ERROR_REASON_CONTEXT_LENGTH_EXCEEDED = 10;
     */
    CONTEXT_LENGTH_EXCEEDED = 10,
    /**
     * FAILED_PRECONDITION + PreconditionFailure (no target has the required
     * capabilities / context window / fits max_cost). metadata: model.
     *
     * @generated from enum value: ERROR_REASON_NO_ELIGIBLE_BACKEND = 11;
     */
    NO_ELIGIBLE_BACKEND = 11,
    /**
     * DEADLINE_EXCEEDED (upstream attempt timed out inside the caller's
     * deadline). metadata: backend, timeout.
     *
     * @generated from enum value: ERROR_REASON_UPSTREAM_TIMEOUT = 12;
     */
    UPSTREAM_TIMEOUT = 12,
    /**
     * UNAVAILABLE (stream broke after tokens were sent; not transparently
     * retryable). metadata: backend, outputTokenCount, cost.
     *
     * @generated from enum value: ERROR_REASON_UPSTREAM_STREAM_INTERRUPTED = 13;
     */
    UPSTREAM_STREAM_INTERRUPTED = 13,
    /**
     * UNAUTHENTICATED (caller's own credential).
     *
     * @generated from enum value: ERROR_REASON_API_KEY_INVALID = 14;
     */
    API_KEY_INVALID = 14,
    /**
     * UNAVAILABLE + RetryInfo (local load shedding / draining).
     *
     * @generated from enum value: ERROR_REASON_GATEWAY_OVERLOADED = 15;
     */
    GATEWAY_OVERLOADED = 15,
    /**
     * UNIMPLEMENTED: an RPC of the v1 contract this server version does not
     * serve yet. metadata: method.
     *
     * @generated from enum value: ERROR_REASON_NOT_IMPLEMENTED = 16;
     */
    NOT_IMPLEMENTED = 16,
    /**
     * UNAVAILABLE + RetryInfo: the upstream answered something the gateway
     * could not parse (another backend may serve). metadata: backend.
     *
     * @generated from enum value: ERROR_REASON_UPSTREAM_PROTOCOL_ERROR = 17;
     */
    UPSTREAM_PROTOCOL_ERROR = 17,
    /**
     * INTERNAL: a gateway bug; the request id in RequestInfo finds the log.
     *
     * @generated from enum value: ERROR_REASON_INTERNAL = 18;
     */
    INTERNAL = 18,
    /**
     * NOT_FOUND: an admin call names a backend that is not configured.
     * metadata: backend.
     *
     * @generated from enum value: ERROR_REASON_BACKEND_NOT_FOUND = 19;
     */
    BACKEND_NOT_FOUND = 19,
    /**
     * NOT_FOUND: an admin call names a route (alias) that does not exist.
     * metadata: route.
     *
     * @generated from enum value: ERROR_REASON_ROUTE_NOT_FOUND = 20;
     */
    ROUTE_NOT_FOUND = 20,
    /**
     * ABORTED: the resource changed since the etag the caller sent was read.
     * metadata: etag (the current one).
     *
     * @generated from enum value: ERROR_REASON_ETAG_MISMATCH = 21;
     */
    ETAG_MISMATCH = 21,
    /**
     * PERMISSION_DENIED: the credential lacks the scope the method needs, or
     * may not bill the named project / call the named model.
     * metadata: method, scope (or project, model).
     *
     * @generated from enum value: ERROR_REASON_PERMISSION_DENIED = 22;
     */
    PERMISSION_DENIED = 22,
    /**
     * NOT_FOUND: an admin call names an API key that does not exist.
     * metadata: apiKey.
     *
     * @generated from enum value: ERROR_REASON_API_KEY_NOT_FOUND = 23;
     */
    API_KEY_NOT_FOUND = 23,
    /**
     * ALREADY_EXISTS: CreateBackend names a backend id that is already
     * configured. metadata: backend.
     *
     * @generated from enum value: ERROR_REASON_BACKEND_ALREADY_EXISTS = 24;
     */
    BACKEND_ALREADY_EXISTS = 24,
    /**
     * NOT_FOUND: UpdateBudget names a budget that does not exist and
     * allow_missing is false. metadata: budget.
     *
     * @generated from enum value: ERROR_REASON_BUDGET_NOT_FOUND = 25;
     */
    BUDGET_NOT_FOUND = 25
}
/**
 * Describes the enum llmgateway.v1.ErrorReason.
 */
export declare const ErrorReasonSchema: GenEnum<ErrorReason>;
