import type { GenEnum, GenFile, GenMessage } from "@bufbuild/protobuf/codegenv2";
import type { Duration } from "@bufbuild/protobuf/wkt";
import type { Money } from "../../google/type/money_pb.js";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file llmgateway/v1/routing.proto.
 */
export declare const file_llmgateway_v1_routing: GenFile;
/**
 * Cache controls.
 *
 * @generated from message llmgateway.v1.CachePolicy
 */
export type CachePolicy = Message<"llmgateway.v1.CachePolicy"> & {
    /**
     * @generated from field: llmgateway.v1.CacheMode mode = 1;
     */
    mode: CacheMode;
    /**
     * Oldest cached response acceptable. Unset = route default.
     *
     * @generated from field: google.protobuf.Duration max_age = 2;
     */
    maxAge?: Duration | undefined;
    /**
     * Provider prompt-cache affinity key (OpenAI prompt_cache_key); also used
     * for sticky routing to the vLLM replica holding the prefix.
     *
     * @generated from field: string prompt_cache_key = 3;
     */
    promptCacheKey: string;
};
/**
 * Describes the message llmgateway.v1.CachePolicy.
 * Use `create(CachePolicySchema)` to create a new message.
 */
export declare const CachePolicySchema: GenMessage<CachePolicy>;
/**
 * Routing hints. All optional; omitted = route defaults configured by admins.
 *
 * @generated from message llmgateway.v1.RoutingOptions
 */
export type RoutingOptions = Message<"llmgateway.v1.RoutingOptions"> & {
    /**
     * @generated from field: llmgateway.v1.RoutingStrategy strategy = 1;
     */
    strategy: RoutingStrategy;
    /**
     * Every listed capability must be supported, else FAILED_PRECONDITION.
     *
     * @generated from field: repeated llmgateway.v1.Capability required_capabilities = 2;
     */
    requiredCapabilities: Capability[];
    /**
     * Minimum context window the chosen model must have.
     *
     * @generated from field: optional int32 min_context_token_count = 3;
     */
    minContextTokenCount?: number | undefined;
    /**
     * Per-request spend cap. Enforced up front (estimate) and during
     * generation (stops with FINISH_REASON_COST_CAP).
     *
     * @generated from field: google.type.Money max_cost = 4;
     */
    maxCost?: Money | undefined;
    /**
     * @generated from field: llmgateway.v1.FallbackMode fallback_mode = 5;
     */
    fallbackMode: FallbackMode;
    /**
     * Ordered alternatives for FALLBACK_MODE_ANY (aliases or model ids).
     *
     * @generated from field: repeated string fallback_models = 6;
     */
    fallbackModels: string[];
    /**
     * @generated from field: llmgateway.v1.CachePolicy cache_policy = 7;
     */
    cachePolicy?: CachePolicy | undefined;
    /**
     * Force a backend ("backends/{backend}"); needs the routing.pin permission.
     *
     * @generated from field: string pinned_backend = 8;
     */
    pinnedBackend: string;
    /**
     * When a budget scope is above its soft threshold, the gateway may route
     * to a cheaper eligible model of the same alias instead of the preferred
     * one. Unset = the route's configured default.
     *
     * @generated from field: optional bool allow_downgrade = 9;
     */
    allowDowngrade?: boolean | undefined;
};
/**
 * Describes the message llmgateway.v1.RoutingOptions.
 * Use `create(RoutingOptionsSchema)` to create a new message.
 */
export declare const RoutingOptionsSchema: GenMessage<RoutingOptions>;
/**
 * Who is paying and for whom. Caller identity and tenant come from
 * authenticated metadata (`authorization`), never from the body; these
 * fields only select among what that identity is entitled to.
 *
 * @generated from message llmgateway.v1.Attribution
 */
export type Attribution = Message<"llmgateway.v1.Attribution"> & {
    /**
     * Cost/budget bucket, "projects/{project}". Empty = the key's default
     * project. PERMISSION_DENIED if the caller may not bill it.
     *
     * @generated from field: string project = 1;
     */
    project: string;
    /**
     * Stable opaque end-user id (a hash, never PII). Anchor: OpenAI
     * safety_identifier, Anthropic metadata.user_id.
     *
     * @generated from field: string end_user_id = 2;
     */
    endUserId: string;
    /**
     * Cost-allocation labels (Anchor: Vertex GenerateContentRequest.labels):
     * lowercase keys <= 63 chars; at most 16 entries.
     *
     * @generated from field: map<string, string> labels = 3;
     */
    labels: {
        [key: string]: string;
    };
};
/**
 * Describes the message llmgateway.v1.Attribution.
 * Use `create(AttributionSchema)` to create a new message.
 */
export declare const AttributionSchema: GenMessage<Attribution>;
/**
 * Where a request actually went. Output only.
 *
 * @generated from message llmgateway.v1.RouteInfo
 */
export type RouteInfo = Message<"llmgateway.v1.RouteInfo"> & {
    /**
     * Alias the caller asked for, if the model field named an alias (never a
     * fallback's alias).
     *
     * @generated from field: string alias = 1;
     */
    alias: string;
    /**
     * Concrete model that served the request (like Gemini model_version /
     * OpenAI response `model`).
     *
     * @generated from field: string model = 2;
     */
    model: string;
    /**
     * "backends/{backend}" that served it.
     *
     * @generated from field: string backend = 3;
     */
    backend: string;
    /**
     * Backends given up on before the one that served, in order (fallbacks).
     * Never the serving backend, even after retries on it.
     *
     * @generated from field: repeated string failed_backends = 4;
     */
    failedBackends: string[];
    /**
     * Served from the gateway response cache.
     *
     * @generated from field: bool cache_hit = 5;
     */
    cacheHit: boolean;
    /**
     * With cache_hit: served by the semantic cache (a stored answer to a
     * near-identical request), not an exact match.
     *
     * @generated from field: bool semantic_cache_hit = 6;
     */
    semanticCacheHit: boolean;
    /**
     * With semantic_cache_hit: cosine similarity of the last user turn to the
     * stored request's (the route's threshold or above).
     *
     * @generated from field: double semantic_similarity = 7;
     */
    semanticSimilarity: number;
    /**
     * The answer of an identical request that was in flight at the same time
     * (single-flight): no upstream call of its own, zero cost.
     *
     * @generated from field: bool coalesced = 9;
     */
    coalesced: boolean;
    /**
     * Upstream calls the request took, retries and fallbacks included (a
     * target skipped for an open circuit is not a call).
     *
     * @generated from field: int32 attempt_count = 8;
     */
    attemptCount: number;
};
/**
 * Describes the message llmgateway.v1.RouteInfo.
 * Use `create(RouteInfoSchema)` to create a new message.
 */
export declare const RouteInfoSchema: GenMessage<RouteInfo>;
/**
 * How to trade quality, cost and latency when an alias has several targets.
 * Anchor: Vertex AI GenerationConfig.RoutingConfig.AutoRoutingMode
 * (PRIORITIZE_QUALITY/BALANCED/PRIORITIZE_COST) — but with a lint-clean
 * `_UNSPECIFIED` zero value (Vertex uses `UNKNOWN = 0`).
 *
 * @generated from enum llmgateway.v1.RoutingStrategy
 */
export declare enum RoutingStrategy {
    /**
     * Use the route's configured default.
     *
     * @generated from enum value: ROUTING_STRATEGY_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: ROUTING_STRATEGY_PRIORITIZE_QUALITY = 1;
     */
    PRIORITIZE_QUALITY = 1,
    /**
     * @generated from enum value: ROUTING_STRATEGY_BALANCED = 2;
     */
    BALANCED = 2,
    /**
     * @generated from enum value: ROUTING_STRATEGY_PRIORITIZE_COST = 3;
     */
    PRIORITIZE_COST = 3,
    /**
     * @generated from enum value: ROUTING_STRATEGY_PRIORITIZE_LATENCY = 4;
     */
    PRIORITIZE_LATENCY = 4,
    /**
     * The co-located vLLM sidecar while it is healthy and under its
     * concurrency cap, then cloud targets. (Not in the Vertex anchor: added
     * because the gateway fronts a self-hosted GPU engine.)
     *
     * @generated from enum value: ROUTING_STRATEGY_LOCAL_FIRST = 5;
     */
    LOCAL_FIRST = 5,
    /**
     * Only targets having every `required_capabilities` and the context
     * window for the request's estimated tokens, in configured order.
     *
     * @generated from enum value: ROUTING_STRATEGY_CAPABILITY_MATCH = 6;
     */
    CAPABILITY_MATCH = 6
}
/**
 * Describes the enum llmgateway.v1.RoutingStrategy.
 */
export declare const RoutingStrategySchema: GenEnum<RoutingStrategy>;
/**
 * Features a backend/model must support to be eligible.
 *
 * @generated from enum llmgateway.v1.Capability
 */
export declare enum Capability {
    /**
     * @generated from enum value: CAPABILITY_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: CAPABILITY_STREAMING = 1;
     */
    STREAMING = 1,
    /**
     * @generated from enum value: CAPABILITY_TOOLS = 2;
     */
    TOOLS = 2,
    /**
     * @generated from enum value: CAPABILITY_JSON_SCHEMA = 3;
     */
    JSON_SCHEMA = 3,
    /**
     * @generated from enum value: CAPABILITY_VISION = 4;
     */
    VISION = 4,
    /**
     * @generated from enum value: CAPABILITY_AUDIO_INPUT = 5;
     */
    AUDIO_INPUT = 5,
    /**
     * @generated from enum value: CAPABILITY_REASONING = 6;
     */
    REASONING = 6,
    /**
     * @generated from enum value: CAPABILITY_LOGPROBS = 7;
     */
    LOGPROBS = 7,
    /**
     * @generated from enum value: CAPABILITY_SEED = 8;
     */
    SEED = 8,
    /**
     * regex / grammar constrained decoding (vLLM, SGLang, TGI).
     *
     * @generated from enum value: CAPABILITY_GUIDED_DECODING = 9;
     */
    GUIDED_DECODING = 9,
    /**
     * @generated from enum value: CAPABILITY_EMBEDDINGS = 10;
     */
    EMBEDDINGS = 10
}
/**
 * Describes the enum llmgateway.v1.Capability.
 */
export declare const CapabilitySchema: GenEnum<Capability>;
/**
 * What the gateway may do when the first choice fails before any output
 * was sent to the caller.
 *
 * @generated from enum llmgateway.v1.FallbackMode
 */
export declare enum FallbackMode {
    /**
     * Use the route's configured default.
     *
     * @generated from enum value: FALLBACK_MODE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Fail instead of retrying elsewhere.
     *
     * @generated from enum value: FALLBACK_MODE_NONE = 1;
     */
    NONE = 1,
    /**
     * Only other backends serving the same model (e.g. a second vLLM pool).
     *
     * @generated from enum value: FALLBACK_MODE_SAME_MODEL = 2;
     */
    SAME_MODEL = 2,
    /**
     * Any model the route marks as equivalent (same tier).
     *
     * @generated from enum value: FALLBACK_MODE_EQUIVALENT = 3;
     */
    EQUIVALENT = 3,
    /**
     * Also `fallback_models`, in order.
     *
     * @generated from enum value: FALLBACK_MODE_ANY = 4;
     */
    ANY = 4
}
/**
 * Describes the enum llmgateway.v1.FallbackMode.
 */
export declare const FallbackModeSchema: GenEnum<FallbackMode>;
/**
 * Gateway response-cache behaviour (distinct from provider prompt caching).
 *
 * @generated from enum llmgateway.v1.CacheMode
 */
export declare enum CacheMode {
    /**
     * Route default.
     *
     * @generated from enum value: CACHE_MODE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Neither read nor write.
     *
     * @generated from enum value: CACHE_MODE_BYPASS = 1;
     */
    BYPASS = 1,
    /**
     * @generated from enum value: CACHE_MODE_READ_WRITE = 2;
     */
    READ_WRITE = 2,
    /**
     * Skip the read, overwrite the entry.
     *
     * @generated from enum value: CACHE_MODE_REFRESH = 3;
     */
    REFRESH = 3
}
/**
 * Describes the enum llmgateway.v1.CacheMode.
 */
export declare const CacheModeSchema: GenEnum<CacheMode>;
