import type { GenEnum, GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { Duration, FieldMask, Timestamp } from "@bufbuild/protobuf/wkt";
import type { Status } from "../../google/rpc/status_pb.js";
import type { Money } from "../../google/type/money_pb.js";
import type { ChatRequest } from "./gateway_service_pb.js";
import type { Capability, FallbackMode, RoutingStrategy } from "./routing_pb.js";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file llmgateway/v1/admin_service.proto.
 */
export declare const file_llmgateway_v1_admin_service: GenFile;
/**
 * Which cache scope to purge.
 *
 * @generated from message llmgateway.v1.PurgeResponseCacheRequest
 */
export type PurgeResponseCacheRequest = Message<"llmgateway.v1.PurgeResponseCacheRequest"> & {
    /**
     * "tenants/{tenant}", "tenants/{tenant}/projects/{project}",
     * "tenants/{tenant}/apiKeys/{key}" (as the configured cache scope keys
     * entries), "global" (the global scope's entries) or "*" (every scope).
     *
     * @generated from field: string scope = 1;
     */
    scope: string;
};
/**
 * Describes the message llmgateway.v1.PurgeResponseCacheRequest.
 * Use `create(PurgeResponseCacheRequestSchema)` to create a new message.
 */
export declare const PurgeResponseCacheRequestSchema: GenMessage<PurgeResponseCacheRequest>;
/**
 * What a purge removed.
 *
 * @generated from message llmgateway.v1.PurgeResponseCacheResponse
 */
export type PurgeResponseCacheResponse = Message<"llmgateway.v1.PurgeResponseCacheResponse"> & {
    /**
     * Entries removed (the larger count of the local and the shared tier).
     *
     * @generated from field: int64 purged_count = 1;
     */
    purgedCount: bigint;
};
/**
 * Describes the message llmgateway.v1.PurgeResponseCacheResponse.
 * Use `create(PurgeResponseCacheResponseSchema)` to create a new message.
 */
export declare const PurgeResponseCacheResponseSchema: GenMessage<PurgeResponseCacheResponse>;
/**
 * An upstream endpoint. Resource name "backends/{backend}".
 *
 * @generated from message llmgateway.v1.Backend
 */
export type Backend = Message<"llmgateway.v1.Backend"> & {
    /**
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * @generated from field: string display_name = 2;
     */
    displayName: string;
    /**
     * @generated from field: llmgateway.v1.BackendType type = 3;
     */
    type: BackendType;
    /**
     * e.g. "http://vllm-a.llm.svc.cluster.local:8000/v1".
     *
     * @generated from field: string endpoint_uri = 4;
     */
    endpointUri: string;
    /**
     * Reference to a secret holding the upstream API key
     * ("k8s://namespace/secret/key"), never the key itself.
     *
     * @generated from field: string credential_ref = 5;
     */
    credentialRef: string;
    /**
     * @generated from field: llmgateway.v1.BackendState state = 6;
     */
    state: BackendState;
    /**
     * @generated from field: repeated llmgateway.v1.ServedModel served_models = 7;
     */
    servedModels: ServedModel[];
    /**
     * Relative weight among equal targets.
     *
     * @generated from field: int32 weight = 8;
     */
    weight: number;
    /**
     * @generated from field: int32 max_concurrent_request_count = 9;
     */
    maxConcurrentRequestCount: number;
    /**
     * Per-attempt upstream timeout (bounded by the caller's gRPC deadline).
     *
     * @generated from field: google.protobuf.Duration request_timeout = 10;
     */
    requestTimeout?: Duration | undefined;
    /**
     * @generated from field: llmgateway.v1.BackendHealth health = 11;
     */
    health?: BackendHealth | undefined;
    /**
     * @generated from field: google.protobuf.Timestamp update_time = 12;
     */
    updateTime?: Timestamp | undefined;
    /**
     * Optimistic concurrency (AIP-154).
     *
     * @generated from field: string etag = 13;
     */
    etag: string;
};
/**
 * Describes the message llmgateway.v1.Backend.
 * Use `create(BackendSchema)` to create a new message.
 */
export declare const BackendSchema: GenMessage<Backend>;
/**
 * A model offered by a backend.
 *
 * @generated from message llmgateway.v1.ServedModel
 */
export type ServedModel = Message<"llmgateway.v1.ServedModel"> & {
    /**
     * Gateway-wide model id (what callers use).
     *
     * @generated from field: string model_id = 1;
     */
    modelId: string;
    /**
     * Name the upstream expects (vLLM --served-model-name, provider id).
     *
     * @generated from field: string upstream_model = 2;
     */
    upstreamModel: string;
    /**
     * @generated from field: repeated llmgateway.v1.Capability capabilities = 3;
     */
    capabilities: Capability[];
    /**
     * @generated from field: int32 input_token_limit = 4;
     */
    inputTokenLimit: number;
    /**
     * @generated from field: int32 output_token_limit = 5;
     */
    outputTokenLimit: number;
};
/**
 * Describes the message llmgateway.v1.ServedModel.
 * Use `create(ServedModelSchema)` to create a new message.
 */
export declare const ServedModelSchema: GenMessage<ServedModel>;
/**
 * Health details for one backend.
 *
 * @generated from message llmgateway.v1.BackendHealth
 */
export type BackendHealth = Message<"llmgateway.v1.BackendHealth"> & {
    /**
     * @generated from field: llmgateway.v1.HealthState state = 1;
     */
    state: HealthState;
    /**
     * @generated from field: google.protobuf.Timestamp last_check_time = 2;
     */
    lastCheckTime?: Timestamp | undefined;
    /**
     * @generated from field: google.protobuf.Duration last_check_latency = 3;
     */
    lastCheckLatency?: Duration | undefined;
    /**
     * @generated from field: int32 consecutive_failure_count = 4;
     */
    consecutiveFailureCount: number;
    /**
     * Last probe or request error (code + message + details).
     *
     * @generated from field: google.rpc.Status last_error = 5;
     */
    lastError?: Status | undefined;
    /**
     * Name under which this backend is published in grpc.health.v1,
     * e.g. "llmgateway.v1.backends/vllm-a".
     *
     * @generated from field: string health_service_name = 6;
     */
    healthServiceName: string;
};
/**
 * Describes the message llmgateway.v1.BackendHealth.
 * Use `create(BackendHealthSchema)` to create a new message.
 */
export declare const BackendHealthSchema: GenMessage<BackendHealth>;
/**
 * List request (AIP-158).
 *
 * @generated from message llmgateway.v1.ListBackendsRequest
 */
export type ListBackendsRequest = Message<"llmgateway.v1.ListBackendsRequest"> & {
    /**
     * @generated from field: int32 page_size = 1;
     */
    pageSize: number;
    /**
     * @generated from field: string page_token = 2;
     */
    pageToken: string;
    /**
     * AIP-160, e.g. `type = BACKEND_TYPE_VLLM AND health.state != HEALTH_STATE_HEALTHY`.
     *
     * @generated from field: string filter = 3;
     */
    filter: string;
};
/**
 * Describes the message llmgateway.v1.ListBackendsRequest.
 * Use `create(ListBackendsRequestSchema)` to create a new message.
 */
export declare const ListBackendsRequestSchema: GenMessage<ListBackendsRequest>;
/**
 * List response.
 *
 * @generated from message llmgateway.v1.ListBackendsResponse
 */
export type ListBackendsResponse = Message<"llmgateway.v1.ListBackendsResponse"> & {
    /**
     * @generated from field: repeated llmgateway.v1.Backend backends = 1;
     */
    backends: Backend[];
    /**
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
};
/**
 * Describes the message llmgateway.v1.ListBackendsResponse.
 * Use `create(ListBackendsResponseSchema)` to create a new message.
 */
export declare const ListBackendsResponseSchema: GenMessage<ListBackendsResponse>;
/**
 * Get request.
 *
 * @generated from message llmgateway.v1.GetBackendRequest
 */
export type GetBackendRequest = Message<"llmgateway.v1.GetBackendRequest"> & {
    /**
     * "backends/{backend}".
     *
     * @generated from field: string name = 1;
     */
    name: string;
};
/**
 * Describes the message llmgateway.v1.GetBackendRequest.
 * Use `create(GetBackendRequestSchema)` to create a new message.
 */
export declare const GetBackendRequestSchema: GenMessage<GetBackendRequest>;
/**
 * Get response.
 *
 * @generated from message llmgateway.v1.GetBackendResponse
 */
export type GetBackendResponse = Message<"llmgateway.v1.GetBackendResponse"> & {
    /**
     * @generated from field: llmgateway.v1.Backend backend = 1;
     */
    backend?: Backend | undefined;
};
/**
 * Describes the message llmgateway.v1.GetBackendResponse.
 * Use `create(GetBackendResponseSchema)` to create a new message.
 */
export declare const GetBackendResponseSchema: GenMessage<GetBackendResponse>;
/**
 * Create request.
 *
 * @generated from message llmgateway.v1.CreateBackendRequest
 */
export type CreateBackendRequest = Message<"llmgateway.v1.CreateBackendRequest"> & {
    /**
     * Becomes the last segment of the name; [a-z][a-z0-9-]{0,62}.
     *
     * @generated from field: string backend_id = 1;
     */
    backendId: string;
    /**
     * @generated from field: llmgateway.v1.Backend backend = 2;
     */
    backend?: Backend | undefined;
    /**
     * Probe the endpoint (e.g. GET /v1/models on vLLM) without saving.
     *
     * @generated from field: bool validate_only = 3;
     */
    validateOnly: boolean;
};
/**
 * Describes the message llmgateway.v1.CreateBackendRequest.
 * Use `create(CreateBackendRequestSchema)` to create a new message.
 */
export declare const CreateBackendRequestSchema: GenMessage<CreateBackendRequest>;
/**
 * Create response.
 *
 * @generated from message llmgateway.v1.CreateBackendResponse
 */
export type CreateBackendResponse = Message<"llmgateway.v1.CreateBackendResponse"> & {
    /**
     * @generated from field: llmgateway.v1.Backend backend = 1;
     */
    backend?: Backend | undefined;
};
/**
 * Describes the message llmgateway.v1.CreateBackendResponse.
 * Use `create(CreateBackendResponseSchema)` to create a new message.
 */
export declare const CreateBackendResponseSchema: GenMessage<CreateBackendResponse>;
/**
 * Update request (AIP-134).
 *
 * @generated from message llmgateway.v1.UpdateBackendRequest
 */
export type UpdateBackendRequest = Message<"llmgateway.v1.UpdateBackendRequest"> & {
    /**
     * backend.name identifies the target.
     *
     * @generated from field: llmgateway.v1.Backend backend = 1;
     */
    backend?: Backend | undefined;
    /**
     * Fields to change, e.g. "endpoint_uri" (proto name; JSON/grpcurl form
     * is "endpointUri").
     *
     * @generated from field: google.protobuf.FieldMask update_mask = 2;
     */
    updateMask?: FieldMask | undefined;
    /**
     * Probe the new endpoint and report, without applying (AIP-163).
     *
     * @generated from field: bool validate_only = 3;
     */
    validateOnly: boolean;
};
/**
 * Describes the message llmgateway.v1.UpdateBackendRequest.
 * Use `create(UpdateBackendRequestSchema)` to create a new message.
 */
export declare const UpdateBackendRequestSchema: GenMessage<UpdateBackendRequest>;
/**
 * Update response.
 *
 * @generated from message llmgateway.v1.UpdateBackendResponse
 */
export type UpdateBackendResponse = Message<"llmgateway.v1.UpdateBackendResponse"> & {
    /**
     * @generated from field: llmgateway.v1.Backend backend = 1;
     */
    backend?: Backend | undefined;
};
/**
 * Describes the message llmgateway.v1.UpdateBackendResponse.
 * Use `create(UpdateBackendResponseSchema)` to create a new message.
 */
export declare const UpdateBackendResponseSchema: GenMessage<UpdateBackendResponse>;
/**
 * Alias routing table entry. Resource name "routes/{alias}".
 *
 * @generated from message llmgateway.v1.Route
 */
export type Route = Message<"llmgateway.v1.Route"> & {
    /**
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * @generated from field: repeated llmgateway.v1.RouteTarget targets = 2;
     */
    targets: RouteTarget[];
    /**
     * @generated from field: llmgateway.v1.RoutingStrategy default_strategy = 3;
     */
    defaultStrategy: RoutingStrategy;
    /**
     * @generated from field: llmgateway.v1.FallbackMode default_fallback_mode = 4;
     */
    defaultFallbackMode: FallbackMode;
    /**
     * Set by SwitchBackend; overrides `targets` until expire_time.
     *
     * @generated from field: llmgateway.v1.RouteOverride active_override = 5;
     */
    activeOverride?: RouteOverride | undefined;
    /**
     * @generated from field: google.protobuf.Timestamp update_time = 6;
     */
    updateTime?: Timestamp | undefined;
    /**
     * @generated from field: string etag = 7;
     */
    etag: string;
};
/**
 * Describes the message llmgateway.v1.Route.
 * Use `create(RouteSchema)` to create a new message.
 */
export declare const RouteSchema: GenMessage<Route>;
/**
 * Weighted target.
 *
 * @generated from message llmgateway.v1.RouteTarget
 */
export type RouteTarget = Message<"llmgateway.v1.RouteTarget"> & {
    /**
     * "backends/{backend}".
     *
     * @generated from field: string backend = 1;
     */
    backend: string;
    /**
     * @generated from field: string model_id = 2;
     */
    modelId: string;
    /**
     * @generated from field: int32 weight = 3;
     */
    weight: number;
};
/**
 * Describes the message llmgateway.v1.RouteTarget.
 * Use `create(RouteTargetSchema)` to create a new message.
 */
export declare const RouteTargetSchema: GenMessage<RouteTarget>;
/**
 * Temporary pin created by SwitchBackend.
 *
 * @generated from message llmgateway.v1.RouteOverride
 */
export type RouteOverride = Message<"llmgateway.v1.RouteOverride"> & {
    /**
     * @generated from field: llmgateway.v1.RouteTarget target = 1;
     */
    target?: RouteTarget | undefined;
    /**
     * @generated from field: string reason = 2;
     */
    reason: string;
    /**
     * Principal that made the switch (from auth metadata).
     *
     * @generated from field: string actor = 3;
     */
    actor: string;
    /**
     * @generated from field: google.protobuf.Timestamp create_time = 4;
     */
    createTime?: Timestamp | undefined;
    /**
     * Unset = permanent until the next switch.
     *
     * @generated from field: google.protobuf.Timestamp expire_time = 5;
     */
    expireTime?: Timestamp | undefined;
};
/**
 * Describes the message llmgateway.v1.RouteOverride.
 * Use `create(RouteOverrideSchema)` to create a new message.
 */
export declare const RouteOverrideSchema: GenMessage<RouteOverride>;
/**
 * List request.
 *
 * @generated from message llmgateway.v1.ListRoutesRequest
 */
export type ListRoutesRequest = Message<"llmgateway.v1.ListRoutesRequest"> & {
    /**
     * @generated from field: int32 page_size = 1;
     */
    pageSize: number;
    /**
     * @generated from field: string page_token = 2;
     */
    pageToken: string;
};
/**
 * Describes the message llmgateway.v1.ListRoutesRequest.
 * Use `create(ListRoutesRequestSchema)` to create a new message.
 */
export declare const ListRoutesRequestSchema: GenMessage<ListRoutesRequest>;
/**
 * List response.
 *
 * @generated from message llmgateway.v1.ListRoutesResponse
 */
export type ListRoutesResponse = Message<"llmgateway.v1.ListRoutesResponse"> & {
    /**
     * @generated from field: repeated llmgateway.v1.Route routes = 1;
     */
    routes: Route[];
    /**
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
};
/**
 * Describes the message llmgateway.v1.ListRoutesResponse.
 * Use `create(ListRoutesResponseSchema)` to create a new message.
 */
export declare const ListRoutesResponseSchema: GenMessage<ListRoutesResponse>;
/**
 * Switch request.
 *
 * @generated from message llmgateway.v1.SwitchBackendRequest
 */
export type SwitchBackendRequest = Message<"llmgateway.v1.SwitchBackendRequest"> & {
    /**
     * "routes/{alias}".
     *
     * @generated from field: string route = 1;
     */
    route: string;
    /**
     * New target backend, "backends/{backend}".
     *
     * @generated from field: string backend = 2;
     */
    backend: string;
    /**
     * Model on that backend; empty = same model id as the current target.
     *
     * @generated from field: string model_id = 3;
     */
    modelId: string;
    /**
     * @generated from field: llmgateway.v1.SwitchMode mode = 4;
     */
    mode: SwitchMode;
    /**
     * Auto-revert after this long (e.g. during an incident). Unset = sticky.
     *
     * @generated from field: google.protobuf.Duration ttl = 5;
     */
    ttl?: Duration | undefined;
    /**
     * Free text for the audit log.
     *
     * @generated from field: string reason = 6;
     */
    reason: string;
    /**
     * Fail with ABORTED if the route changed since this etag was read.
     *
     * @generated from field: string etag = 7;
     */
    etag: string;
    /**
     * Check that the target is healthy and serves the model; change nothing.
     *
     * @generated from field: bool validate_only = 8;
     */
    validateOnly: boolean;
    /**
     * Switch without probing the target first (e.g. it is down for everyone
     * and the operator knows better).
     *
     * @generated from field: bool skip_health_check = 9;
     */
    skipHealthCheck: boolean;
};
/**
 * Describes the message llmgateway.v1.SwitchBackendRequest.
 * Use `create(SwitchBackendRequestSchema)` to create a new message.
 */
export declare const SwitchBackendRequestSchema: GenMessage<SwitchBackendRequest>;
/**
 * Switch response.
 *
 * @generated from message llmgateway.v1.SwitchBackendResponse
 */
export type SwitchBackendResponse = Message<"llmgateway.v1.SwitchBackendResponse"> & {
    /**
     * @generated from field: llmgateway.v1.Route route = 1;
     */
    route?: Route | undefined;
    /**
     * @generated from field: llmgateway.v1.RouteTarget previous_target = 2;
     */
    previousTarget?: RouteTarget | undefined;
};
/**
 * Describes the message llmgateway.v1.SwitchBackendResponse.
 * Use `create(SwitchBackendResponseSchema)` to create a new message.
 */
export declare const SwitchBackendResponseSchema: GenMessage<SwitchBackendResponse>;
/**
 * Cost report request.
 *
 * @generated from message llmgateway.v1.GetCostsRequest
 */
export type GetCostsRequest = Message<"llmgateway.v1.GetCostsRequest"> & {
    /**
     * Inclusive start.
     *
     * @generated from field: google.protobuf.Timestamp start_time = 1;
     */
    startTime?: Timestamp | undefined;
    /**
     * Exclusive end; unset = now.
     *
     * @generated from field: google.protobuf.Timestamp end_time = 2;
     */
    endTime?: Timestamp | undefined;
    /**
     * @generated from field: repeated llmgateway.v1.CostDimension group_by = 3;
     */
    groupBy: CostDimension[];
    /**
     * Also group by these Attribution.labels keys.
     *
     * @generated from field: repeated string group_by_labels = 4;
     */
    groupByLabels: string[];
    /**
     * @generated from field: llmgateway.v1.CostGranularity granularity = 5;
     */
    granularity: CostGranularity;
    /**
     * AIP-160, e.g. `project = "projects/search" AND model = "llama-3.1-70b"`
     * or `request_id = "..."` for a single request.
     *
     * @generated from field: string filter = 6;
     */
    filter: string;
    /**
     * @generated from field: int32 page_size = 7;
     */
    pageSize: number;
    /**
     * @generated from field: string page_token = 8;
     */
    pageToken: string;
};
/**
 * Describes the message llmgateway.v1.GetCostsRequest.
 * Use `create(GetCostsRequestSchema)` to create a new message.
 */
export declare const GetCostsRequestSchema: GenMessage<GetCostsRequest>;
/**
 * Cost report response.
 *
 * @generated from message llmgateway.v1.GetCostsResponse
 */
export type GetCostsResponse = Message<"llmgateway.v1.GetCostsResponse"> & {
    /**
     * @generated from field: repeated llmgateway.v1.CostRow rows = 1;
     */
    rows: CostRow[];
    /**
     * Sum over all rows matching the filter (not just this page).
     *
     * @generated from field: google.type.Money total_cost = 2;
     */
    totalCost?: Money | undefined;
    /**
     * @generated from field: llmgateway.v1.UsageTotals total_usage = 3;
     */
    totalUsage?: UsageTotals | undefined;
    /**
     * @generated from field: string next_page_token = 4;
     */
    nextPageToken: string;
    /**
     * Every budget that applies, with spend so far in its current period.
     *
     * @generated from field: repeated llmgateway.v1.BudgetStatus budgets = 5;
     */
    budgets: BudgetStatus[];
    /**
     * Costs that are not per token, e.g. self-hosted vLLM GPU uptime x hourly
     * rate. Not included in total_cost (which is the per-request sum).
     *
     * @generated from field: repeated llmgateway.v1.FixedCostLine fixed_costs = 6;
     */
    fixedCosts: FixedCostLine[];
    /**
     * Requests whose model has no known price (their cost is unknown, which
     * is not the same as free; they count at their reservation for budgets).
     *
     * @generated from field: int64 unpriced_request_count = 7;
     */
    unpricedRequestCount: bigint;
    /**
     * With a `request_id = "..."` filter: one entry per upstream attempt of
     * that request (retries and fallbacks included).
     *
     * @generated from field: repeated llmgateway.v1.LedgerEntry entries = 8;
     */
    entries: LedgerEntry[];
    /**
     * Sum of total_cost and every fixed_costs line.
     *
     * @generated from field: google.type.Money grand_total_cost = 9;
     */
    grandTotalCost?: Money | undefined;
    /**
     * What the gateway response cache saved: the cost of the cached answers'
     * usage at their models' prices (cache hits cost nothing and are not in
     * total_cost).
     *
     * @generated from field: google.type.Money cache_savings = 10;
     */
    cacheSavings?: Money | undefined;
    /**
     * Requests answered by the response cache (exact or semantic).
     *
     * @generated from field: int64 cache_hit_count = 11;
     */
    cacheHitCount: bigint;
};
/**
 * Describes the message llmgateway.v1.GetCostsResponse.
 * Use `create(GetCostsResponseSchema)` to create a new message.
 */
export declare const GetCostsResponseSchema: GenMessage<GetCostsResponse>;
/**
 * A budget's state, as GetCosts reports it.
 *
 * @generated from message llmgateway.v1.BudgetStatus
 */
export type BudgetStatus = Message<"llmgateway.v1.BudgetStatus"> & {
    /**
     * "budgets/{budget}".
     *
     * @generated from field: string budget = 1;
     */
    budget: string;
    /**
     * "global", "tenants/t", "projects/p", "users/u" or "apiKeys/k".
     *
     * @generated from field: string scope = 2;
     */
    scope: string;
    /**
     * @generated from field: google.type.Money limit = 3;
     */
    limit?: Money | undefined;
    /**
     * @generated from field: google.type.Money spent = 4;
     */
    spent?: Money | undefined;
    /**
     * @generated from field: google.type.Money remaining = 5;
     */
    remaining?: Money | undefined;
    /**
     * spent / limit x 100.
     *
     * @generated from field: double percent_used = 6;
     */
    percentUsed: number;
    /**
     * @generated from field: llmgateway.v1.BudgetPeriod period = 7;
     */
    period: BudgetPeriod;
    /**
     * @generated from field: google.protobuf.Timestamp period_start_time = 8;
     */
    periodStartTime?: Timestamp | undefined;
    /**
     * @generated from field: google.protobuf.Timestamp reset_time = 9;
     */
    resetTime?: Timestamp | undefined;
    /**
     * What the ledger (the source of truth) says was charged to this scope in
     * this period. `spent` comes from the live counters; a difference is drift
     * (e.g. rows still in another replica's outbox when the counter was seeded).
     * A budget covering the self-hosted fixed costs (vLLM hours, see
     * fixed_costs) also counts them in `spent`; the ledger has no row for them.
     *
     * @generated from field: google.type.Money ledger_spent = 10;
     */
    ledgerSpent?: Money | undefined;
    /**
     * Spend at the end of the period if the run rate so far (spent / time since
     * period_start) holds. Lifetime budgets: equal to spent.
     *
     * @generated from field: google.type.Money projected_spend = 11;
     */
    projectedSpend?: Money | undefined;
    /**
     * When spend would reach the limit at that run rate; unset when it would
     * not within this period, when there is no spend yet, or when the budget is
     * already exhausted.
     *
     * @generated from field: google.protobuf.Timestamp projected_exhaustion_time = 12;
     */
    projectedExhaustionTime?: Timestamp | undefined;
};
/**
 * Describes the message llmgateway.v1.BudgetStatus.
 * Use `create(BudgetStatusSchema)` to create a new message.
 */
export declare const BudgetStatusSchema: GenMessage<BudgetStatus>;
/**
 * A cost line that is not per request.
 *
 * @generated from message llmgateway.v1.FixedCostLine
 */
export type FixedCostLine = Message<"llmgateway.v1.FixedCostLine"> & {
    /**
     * e.g. "vllm-uptime".
     *
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * "backends/{backend}".
     *
     * @generated from field: string backend = 2;
     */
    backend: string;
    /**
     * Uptime inside the report interval.
     *
     * @generated from field: google.protobuf.Duration uptime = 3;
     */
    uptime?: Duration | undefined;
    /**
     * @generated from field: google.type.Money hourly_rate = 4;
     */
    hourlyRate?: Money | undefined;
    /**
     * @generated from field: google.type.Money cost = 5;
     */
    cost?: Money | undefined;
};
/**
 * Describes the message llmgateway.v1.FixedCostLine.
 * Use `create(FixedCostLineSchema)` to create a new message.
 */
export declare const FixedCostLineSchema: GenMessage<FixedCostLine>;
/**
 * One ledger row (one upstream attempt).
 *
 * @generated from message llmgateway.v1.LedgerEntry
 */
export type LedgerEntry = Message<"llmgateway.v1.LedgerEntry"> & {
    /**
     * @generated from field: string attempt_id = 1;
     */
    attemptId: string;
    /**
     * @generated from field: string request_id = 2;
     */
    requestId: string;
    /**
     * @generated from field: google.protobuf.Timestamp create_time = 3;
     */
    createTime?: Timestamp | undefined;
    /**
     * @generated from field: string tenant = 4;
     */
    tenant: string;
    /**
     * @generated from field: string project = 5;
     */
    project: string;
    /**
     * @generated from field: string end_user_id = 6;
     */
    endUserId: string;
    /**
     * @generated from field: map<string, string> labels = 7;
     */
    labels: {
        [key: string]: string;
    };
    /**
     * @generated from field: string alias = 8;
     */
    alias: string;
    /**
     * @generated from field: string backend = 9;
     */
    backend: string;
    /**
     * @generated from field: string model = 10;
     */
    model: string;
    /**
     * Gateway API key id of the caller (never the key).
     *
     * @generated from field: string api_key_id = 11;
     */
    apiKeyId: string;
    /**
     * Id of the upstream key used (never the key).
     *
     * @generated from field: string upstream_key_id = 12;
     */
    upstreamKeyId: string;
    /**
     * @generated from field: llmgateway.v1.UsageTotals usage = 13;
     */
    usage?: UsageTotals | undefined;
    /**
     * @generated from field: google.type.Money cost = 14;
     */
    cost?: Money | undefined;
    /**
     * @generated from field: string pricing_version = 15;
     */
    pricingVersion: string;
    /**
     * @generated from field: llmgateway.v1.AttemptStatus status = 16;
     */
    status: AttemptStatus;
    /**
     * @generated from field: llmgateway.v1.UsageSource usage_source = 17;
     */
    usageSource: UsageSource;
    /**
     * @generated from field: google.protobuf.Duration latency = 18;
     */
    latency?: Duration | undefined;
    /**
     * False when the model has no known price.
     *
     * @generated from field: bool priced = 19;
     */
    priced: boolean;
    /**
     * Principal that made the call (key id or JWT subject).
     *
     * @generated from field: string principal = 20;
     */
    principal: string;
};
/**
 * Describes the message llmgateway.v1.LedgerEntry.
 * Use `create(LedgerEntrySchema)` to create a new message.
 */
export declare const LedgerEntrySchema: GenMessage<LedgerEntry>;
/**
 * One (bucket, dimension values) cell.
 *
 * @generated from message llmgateway.v1.CostRow
 */
export type CostRow = Message<"llmgateway.v1.CostRow"> & {
    /**
     * @generated from field: google.protobuf.Timestamp bucket_start_time = 1;
     */
    bucketStartTime?: Timestamp | undefined;
    /**
     * Dimension -> value, e.g. {"model": "llama-3.1-70b", "label:team": "ads"}.
     *
     * @generated from field: map<string, string> dimensions = 2;
     */
    dimensions: {
        [key: string]: string;
    };
    /**
     * @generated from field: google.type.Money cost = 3;
     */
    cost?: Money | undefined;
    /**
     * @generated from field: llmgateway.v1.UsageTotals usage = 4;
     */
    usage?: UsageTotals | undefined;
    /**
     * @generated from field: int64 request_count = 5;
     */
    requestCount: bigint;
    /**
     * True if any contributing cost was estimated.
     *
     * @generated from field: bool estimated = 6;
     */
    estimated: boolean;
};
/**
 * Describes the message llmgateway.v1.CostRow.
 * Use `create(CostRowSchema)` to create a new message.
 */
export declare const CostRowSchema: GenMessage<CostRow>;
/**
 * Aggregated token counts (int64: sums over many requests).
 *
 * @generated from message llmgateway.v1.UsageTotals
 */
export type UsageTotals = Message<"llmgateway.v1.UsageTotals"> & {
    /**
     * @generated from field: int64 input_token_count = 1;
     */
    inputTokenCount: bigint;
    /**
     * @generated from field: int64 output_token_count = 2;
     */
    outputTokenCount: bigint;
    /**
     * @generated from field: int64 cached_input_token_count = 3;
     */
    cachedInputTokenCount: bigint;
    /**
     * @generated from field: int64 reasoning_token_count = 4;
     */
    reasoningTokenCount: bigint;
};
/**
 * Describes the message llmgateway.v1.UsageTotals.
 * Use `create(UsageTotalsSchema)` to create a new message.
 */
export declare const UsageTotalsSchema: GenMessage<UsageTotals>;
/**
 * Spend limit. Resource name "budgets/{budget}".
 *
 * @generated from message llmgateway.v1.Budget
 */
export type Budget = Message<"llmgateway.v1.Budget"> & {
    /**
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * Scope: exactly one.
     *
     * @generated from oneof llmgateway.v1.Budget.scope
     */
    scope: {
        /**
         * "projects/{project}".
         *
         * @generated from field: string project = 2;
         */
        value: string;
        case: "project";
    } | {
        /**
         * @generated from field: string end_user_id = 3;
         */
        value: string;
        case: "endUserId";
    } | {
        /**
         * "key=value" over Attribution.labels.
         *
         * @generated from field: string label = 4;
         */
        value: string;
        case: "label";
    } | {
        /**
         * The whole gateway (set true). `BUDGET_LIMIT` configures this scope.
         *
         * @generated from field: bool global = 14;
         */
        value: boolean;
        case: "global";
    } | {
        /**
         * "tenants/{tenant}" (tenant of the authenticated principal).
         *
         * @generated from field: string tenant = 15;
         */
        value: string;
        case: "tenant";
    } | {
        /**
         * "apiKeys/{key_id}" (the key id, never the key).
         *
         * @generated from field: string api_key = 16;
         */
        value: string;
        case: "apiKey";
    } | {
        case: undefined;
        value?: undefined;
    };
    /**
     * IANA time zone in which daily/weekly/monthly periods start (default UTC).
     *
     * @generated from field: string time_zone = 17;
     */
    timeZone: string;
    /**
     * Thresholds already crossed in the current period (edge-triggered: each
     * fires once per period).
     *
     * @generated from field: repeated llmgateway.v1.BudgetAlert alerts = 18;
     */
    alerts: BudgetAlert[];
    /**
     * Held by requests in flight (upper bounds, settled when they end).
     *
     * @generated from field: google.type.Money reserved = 19;
     */
    reserved?: Money | undefined;
    /**
     * spent / limit x 100.
     *
     * @generated from field: double percent_used = 20;
     */
    percentUsed: number;
    /**
     * @generated from field: google.type.Money limit = 5;
     */
    limit?: Money | undefined;
    /**
     * @generated from field: llmgateway.v1.BudgetPeriod period = 6;
     */
    period: BudgetPeriod;
    /**
     * @generated from field: llmgateway.v1.BudgetEnforcement enforcement = 7;
     */
    enforcement: BudgetEnforcement;
    /**
     * Alert at these percentages of `limit`, e.g. [50, 80, 100].
     *
     * @generated from field: repeated int32 alert_threshold_percents = 8;
     */
    alertThresholdPercents: number[];
    /**
     * @generated from field: google.type.Money spent = 9;
     */
    spent?: Money | undefined;
    /**
     * @generated from field: google.type.Money remaining = 10;
     */
    remaining?: Money | undefined;
    /**
     * @generated from field: google.protobuf.Timestamp period_start_time = 11;
     */
    periodStartTime?: Timestamp | undefined;
    /**
     * @generated from field: google.protobuf.Timestamp reset_time = 12;
     */
    resetTime?: Timestamp | undefined;
    /**
     * @generated from field: string etag = 13;
     */
    etag: string;
};
/**
 * Describes the message llmgateway.v1.Budget.
 * Use `create(BudgetSchema)` to create a new message.
 */
export declare const BudgetSchema: GenMessage<Budget>;
/**
 * A budget threshold that fired.
 *
 * @generated from message llmgateway.v1.BudgetAlert
 */
export type BudgetAlert = Message<"llmgateway.v1.BudgetAlert"> & {
    /**
     * @generated from field: int32 threshold_percent = 1;
     */
    thresholdPercent: number;
    /**
     * @generated from field: llmgateway.v1.AlertSeverity severity = 2;
     */
    severity: AlertSeverity;
    /**
     * @generated from field: google.protobuf.Timestamp fire_time = 3;
     */
    fireTime?: Timestamp | undefined;
    /**
     * @generated from field: google.type.Money spent = 4;
     */
    spent?: Money | undefined;
    /**
     * @generated from field: google.protobuf.Timestamp period_start_time = 5;
     */
    periodStartTime?: Timestamp | undefined;
};
/**
 * Describes the message llmgateway.v1.BudgetAlert.
 * Use `create(BudgetAlertSchema)` to create a new message.
 */
export declare const BudgetAlertSchema: GenMessage<BudgetAlert>;
/**
 * List request.
 *
 * @generated from message llmgateway.v1.ListBudgetsRequest
 */
export type ListBudgetsRequest = Message<"llmgateway.v1.ListBudgetsRequest"> & {
    /**
     * @generated from field: int32 page_size = 1;
     */
    pageSize: number;
    /**
     * @generated from field: string page_token = 2;
     */
    pageToken: string;
    /**
     * @generated from field: string filter = 3;
     */
    filter: string;
};
/**
 * Describes the message llmgateway.v1.ListBudgetsRequest.
 * Use `create(ListBudgetsRequestSchema)` to create a new message.
 */
export declare const ListBudgetsRequestSchema: GenMessage<ListBudgetsRequest>;
/**
 * List response.
 *
 * @generated from message llmgateway.v1.ListBudgetsResponse
 */
export type ListBudgetsResponse = Message<"llmgateway.v1.ListBudgetsResponse"> & {
    /**
     * @generated from field: repeated llmgateway.v1.Budget budgets = 1;
     */
    budgets: Budget[];
    /**
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
};
/**
 * Describes the message llmgateway.v1.ListBudgetsResponse.
 * Use `create(ListBudgetsResponseSchema)` to create a new message.
 */
export declare const ListBudgetsResponseSchema: GenMessage<ListBudgetsResponse>;
/**
 * Update/upsert request.
 *
 * @generated from message llmgateway.v1.UpdateBudgetRequest
 */
export type UpdateBudgetRequest = Message<"llmgateway.v1.UpdateBudgetRequest"> & {
    /**
     * @generated from field: llmgateway.v1.Budget budget = 1;
     */
    budget?: Budget | undefined;
    /**
     * @generated from field: google.protobuf.FieldMask update_mask = 2;
     */
    updateMask?: FieldMask | undefined;
    /**
     * Create if it does not exist (AIP-134 upsert).
     *
     * @generated from field: bool allow_missing = 3;
     */
    allowMissing: boolean;
};
/**
 * Describes the message llmgateway.v1.UpdateBudgetRequest.
 * Use `create(UpdateBudgetRequestSchema)` to create a new message.
 */
export declare const UpdateBudgetRequestSchema: GenMessage<UpdateBudgetRequest>;
/**
 * Update response.
 *
 * @generated from message llmgateway.v1.UpdateBudgetResponse
 */
export type UpdateBudgetResponse = Message<"llmgateway.v1.UpdateBudgetResponse"> & {
    /**
     * @generated from field: llmgateway.v1.Budget budget = 1;
     */
    budget?: Budget | undefined;
};
/**
 * Describes the message llmgateway.v1.UpdateBudgetResponse.
 * Use `create(UpdateBudgetResponseSchema)` to create a new message.
 */
export declare const UpdateBudgetResponseSchema: GenMessage<UpdateBudgetResponse>;
/**
 * Metrics request.
 *
 * @generated from message llmgateway.v1.GetMetricsRequest
 */
export type GetMetricsRequest = Message<"llmgateway.v1.GetMetricsRequest"> & {
    /**
     * Look-back window, e.g. 300s. Unset = 5 minutes.
     *
     * @generated from field: google.protobuf.Duration window = 1;
     */
    window?: Duration | undefined;
    /**
     * Restrict to these "backends/{backend}"; empty = all.
     *
     * @generated from field: repeated string backends = 2;
     */
    backends: string[];
    /**
     * Restrict to these model ids; empty = all.
     *
     * @generated from field: repeated string model_ids = 3;
     */
    modelIds: string[];
};
/**
 * Describes the message llmgateway.v1.GetMetricsRequest.
 * Use `create(GetMetricsRequestSchema)` to create a new message.
 */
export declare const GetMetricsRequestSchema: GenMessage<GetMetricsRequest>;
/**
 * Metrics response.
 *
 * @generated from message llmgateway.v1.GetMetricsResponse
 */
export type GetMetricsResponse = Message<"llmgateway.v1.GetMetricsResponse"> & {
    /**
     * @generated from field: google.protobuf.Timestamp window_start_time = 1;
     */
    windowStartTime?: Timestamp | undefined;
    /**
     * @generated from field: google.protobuf.Timestamp window_end_time = 2;
     */
    windowEndTime?: Timestamp | undefined;
    /**
     * @generated from field: repeated llmgateway.v1.MetricsRow rows = 3;
     */
    rows: MetricsRow[];
};
/**
 * Describes the message llmgateway.v1.GetMetricsResponse.
 * Use `create(GetMetricsResponseSchema)` to create a new message.
 */
export declare const GetMetricsResponseSchema: GenMessage<GetMetricsResponse>;
/**
 * Metrics for one (backend, model).
 *
 * @generated from message llmgateway.v1.MetricsRow
 */
export type MetricsRow = Message<"llmgateway.v1.MetricsRow"> & {
    /**
     * @generated from field: string backend = 1;
     */
    backend: string;
    /**
     * @generated from field: string model_id = 2;
     */
    modelId: string;
    /**
     * @generated from field: int64 request_count = 3;
     */
    requestCount: bigint;
    /**
     * Keyed by google.rpc.Code name, e.g. {"UNAVAILABLE": 3}.
     *
     * @generated from field: map<string, int64> error_counts = 4;
     */
    errorCounts: {
        [key: string]: bigint;
    };
    /**
     * @generated from field: int32 in_flight_request_count = 5;
     */
    inFlightRequestCount: number;
    /**
     * @generated from field: google.protobuf.Duration p50_latency = 6;
     */
    p50Latency?: Duration | undefined;
    /**
     * @generated from field: google.protobuf.Duration p95_latency = 7;
     */
    p95Latency?: Duration | undefined;
    /**
     * @generated from field: google.protobuf.Duration p50_time_to_first_token = 8;
     */
    p50TimeToFirstToken?: Duration | undefined;
    /**
     * @generated from field: google.protobuf.Duration p95_time_to_first_token = 9;
     */
    p95TimeToFirstToken?: Duration | undefined;
    /**
     * @generated from field: double output_tokens_per_second = 10;
     */
    outputTokensPerSecond: number;
    /**
     * @generated from field: google.type.Money cost = 11;
     */
    cost?: Money | undefined;
    /**
     * The (backend, model) circuit breaker now (state, trips, transitions).
     *
     * @generated from field: llmgateway.v1.CircuitBreakerReport circuit_breaker = 12;
     */
    circuitBreaker?: CircuitBreakerReport | undefined;
};
/**
 * Describes the message llmgateway.v1.MetricsRow.
 * Use `create(MetricsRowSchema)` to create a new message.
 */
export declare const MetricsRowSchema: GenMessage<MetricsRow>;
/**
 * Health request.
 *
 * @generated from message llmgateway.v1.GetHealthRequest
 */
export type GetHealthRequest = Message<"llmgateway.v1.GetHealthRequest"> & {};
/**
 * Describes the message llmgateway.v1.GetHealthRequest.
 * Use `create(GetHealthRequestSchema)` to create a new message.
 */
export declare const GetHealthRequestSchema: GenMessage<GetHealthRequest>;
/**
 * Health response.
 *
 * @generated from message llmgateway.v1.GetHealthResponse
 */
export type GetHealthResponse = Message<"llmgateway.v1.GetHealthResponse"> & {
    /**
     * Mirrors grpc.health.v1 "" and "llmgateway.v1.GatewayService".
     *
     * @generated from field: llmgateway.v1.HealthState gateway_state = 1;
     */
    gatewayState: HealthState;
    /**
     * True after SIGTERM, during graceful shutdown.
     *
     * @generated from field: bool draining = 2;
     */
    draining: boolean;
    /**
     * @generated from field: repeated llmgateway.v1.BackendHealthReport backends = 3;
     */
    backends: BackendHealthReport[];
};
/**
 * Describes the message llmgateway.v1.GetHealthResponse.
 * Use `create(GetHealthResponseSchema)` to create a new message.
 */
export declare const GetHealthResponseSchema: GenMessage<GetHealthResponse>;
/**
 * One backend's health.
 *
 * @generated from message llmgateway.v1.BackendHealthReport
 */
export type BackendHealthReport = Message<"llmgateway.v1.BackendHealthReport"> & {
    /**
     * @generated from field: string backend = 1;
     */
    backend: string;
    /**
     * @generated from field: llmgateway.v1.BackendState state = 2;
     */
    state: BackendState;
    /**
     * @generated from field: llmgateway.v1.BackendHealth health = 3;
     */
    health?: BackendHealth | undefined;
    /**
     * One per model of this backend that has seen traffic.
     *
     * @generated from field: repeated llmgateway.v1.CircuitBreakerReport circuit_breakers = 4;
     */
    circuitBreakers: CircuitBreakerReport[];
};
/**
 * Describes the message llmgateway.v1.BackendHealthReport.
 * Use `create(BackendHealthReportSchema)` to create a new message.
 */
export declare const BackendHealthReportSchema: GenMessage<BackendHealthReport>;
/**
 * One circuit breaker (per backend and model).
 *
 * @generated from message llmgateway.v1.CircuitBreakerReport
 */
export type CircuitBreakerReport = Message<"llmgateway.v1.CircuitBreakerReport"> & {
    /**
     * Gateway model id.
     *
     * @generated from field: string model = 1;
     */
    model: string;
    /**
     * @generated from field: llmgateway.v1.CircuitState state = 2;
     */
    state: CircuitState;
    /**
     * Counted failures (transient, timeout, overloaded, protocol, interrupted
     * stream) since the last success.
     *
     * @generated from field: int32 consecutive_failure_count = 3;
     */
    consecutiveFailureCount: number;
    /**
     * Times the breaker opened since start.
     *
     * @generated from field: int64 trip_count = 4;
     */
    tripCount: bigint;
    /**
     * State changes since start.
     *
     * @generated from field: int64 transition_count = 5;
     */
    transitionCount: bigint;
    /**
     * Time until a probe is let through (open state only).
     *
     * @generated from field: google.protobuf.Duration retry_after = 6;
     */
    retryAfter?: Duration | undefined;
    /**
     * Calls refused without reaching the backend (open, or half-open with its
     * probe slots taken) since start.
     *
     * @generated from field: int64 rejected_count = 7;
     */
    rejectedCount: bigint;
    /**
     * Held open by an operator (OpenCircuitBreaker) until reset.
     *
     * @generated from field: bool forced_open = 8;
     */
    forcedOpen: boolean;
};
/**
 * Describes the message llmgateway.v1.CircuitBreakerReport.
 * Use `create(CircuitBreakerReportSchema)` to create a new message.
 */
export declare const CircuitBreakerReportSchema: GenMessage<CircuitBreakerReport>;
/**
 * One admin action. Secrets in `before_json`/`after_json` are redacted before
 * the row is written.
 *
 * @generated from message llmgateway.v1.AuditEvent
 */
export type AuditEvent = Message<"llmgateway.v1.AuditEvent"> & {
    /**
     * "auditEvents/{id}".
     *
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * @generated from field: google.protobuf.Timestamp create_time = 2;
     */
    createTime?: Timestamp | undefined;
    /**
     * Principal that acted (key id or JWT subject, never the credential).
     *
     * @generated from field: string actor = 3;
     */
    actor: string;
    /**
     * RPC or CLI action, e.g. "SwitchBackend", "UpdateBudget".
     *
     * @generated from field: string action = 4;
     */
    action: string;
    /**
     * Resource acted on, e.g. "routes/default", "backends/vllm".
     *
     * @generated from field: string target = 5;
     */
    target: string;
    /**
     * State before and after the action as JSON text (redacted).
     *
     * @generated from field: string before_json = 6;
     */
    beforeJson: string;
    /**
     * @generated from field: string after_json = 7;
     */
    afterJson: string;
    /**
     * @generated from field: string request_id = 8;
     */
    requestId: string;
    /**
     * @generated from field: llmgateway.v1.AuditOutcome outcome = 9;
     */
    outcome: AuditOutcome;
    /**
     * Operator-supplied reason (SwitchBackendRequest.reason, ...).
     *
     * @generated from field: string reason = 10;
     */
    reason: string;
};
/**
 * Describes the message llmgateway.v1.AuditEvent.
 * Use `create(AuditEventSchema)` to create a new message.
 */
export declare const AuditEventSchema: GenMessage<AuditEvent>;
/**
 * List audit events (AIP-158).
 *
 * @generated from message llmgateway.v1.ListAuditEventsRequest
 */
export type ListAuditEventsRequest = Message<"llmgateway.v1.ListAuditEventsRequest"> & {
    /**
     * @generated from field: int32 page_size = 1;
     */
    pageSize: number;
    /**
     * @generated from field: string page_token = 2;
     */
    pageToken: string;
    /**
     * Inclusive lower bound on create_time.
     *
     * @generated from field: google.protobuf.Timestamp start_time = 3;
     */
    startTime?: Timestamp | undefined;
    /**
     * Exclusive upper bound on create_time.
     *
     * @generated from field: google.protobuf.Timestamp end_time = 4;
     */
    endTime?: Timestamp | undefined;
    /**
     * Only events by this actor.
     *
     * @generated from field: string actor = 5;
     */
    actor: string;
    /**
     * Only events of this action.
     *
     * @generated from field: string action = 6;
     */
    action: string;
};
/**
 * Describes the message llmgateway.v1.ListAuditEventsRequest.
 * Use `create(ListAuditEventsRequestSchema)` to create a new message.
 */
export declare const ListAuditEventsRequestSchema: GenMessage<ListAuditEventsRequest>;
/**
 * Audit events, newest first.
 *
 * @generated from message llmgateway.v1.ListAuditEventsResponse
 */
export type ListAuditEventsResponse = Message<"llmgateway.v1.ListAuditEventsResponse"> & {
    /**
     * @generated from field: repeated llmgateway.v1.AuditEvent events = 1;
     */
    events: AuditEvent[];
    /**
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
};
/**
 * Describes the message llmgateway.v1.ListAuditEventsResponse.
 * Use `create(ListAuditEventsResponseSchema)` to create a new message.
 */
export declare const ListAuditEventsResponseSchema: GenMessage<ListAuditEventsResponse>;
/**
 * A gateway API key. Resource name "apiKeys/{key_id}". The secret itself
 * ("llmgw_...") is never part of this message.
 *
 * @generated from message llmgateway.v1.ApiKey
 */
export type ApiKey = Message<"llmgateway.v1.ApiKey"> & {
    /**
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * @generated from field: string key_id = 2;
     */
    keyId: string;
    /**
     * @generated from field: string display_name = 3;
     */
    displayName: string;
    /**
     * Tenant the key belongs to (budgets, rate limits and costs group by it).
     *
     * @generated from field: string tenant = 4;
     */
    tenant: string;
    /**
     * Default project billed when a request names none, "projects/{project}".
     *
     * @generated from field: string project = 5;
     */
    project: string;
    /**
     * Further projects this key may bill (Attribution.project).
     *
     * @generated from field: repeated string allowed_projects = 6;
     */
    allowedProjects: string[];
    /**
     * Fixed end user of this key, if any.
     *
     * @generated from field: string end_user_id = 7;
     */
    endUserId: string;
    /**
     * "chat", "embed", "admin:read", "admin:write".
     *
     * @generated from field: repeated string scopes = 8;
     */
    scopes: string[];
    /**
     * Model ids or aliases this key may call; empty = all.
     *
     * @generated from field: repeated string allowed_models = 9;
     */
    allowedModels: string[];
    /**
     * Requests per minute (0 = unlimited).
     *
     * @generated from field: int32 requests_per_minute = 10;
     */
    requestsPerMinute: number;
    /**
     * Input tokens per minute (0 = unlimited).
     *
     * @generated from field: int64 input_tokens_per_minute = 11;
     */
    inputTokensPerMinute: bigint;
    /**
     * Output tokens per minute (0 = unlimited).
     *
     * @generated from field: int64 output_tokens_per_minute = 12;
     */
    outputTokensPerMinute: bigint;
    /**
     * @generated from field: google.protobuf.Timestamp expire_time = 13;
     */
    expireTime?: Timestamp | undefined;
    /**
     * @generated from field: google.protobuf.Timestamp create_time = 14;
     */
    createTime?: Timestamp | undefined;
    /**
     * @generated from field: google.protobuf.Timestamp revoke_time = 15;
     */
    revokeTime?: Timestamp | undefined;
    /**
     * @generated from field: llmgateway.v1.ApiKeyState state = 16;
     */
    state: ApiKeyState;
    /**
     * First characters of the secret, to recognise it ("llmgw_Ab3d").
     *
     * @generated from field: string secret_prefix = 17;
     */
    secretPrefix: string;
    /**
     * @generated from field: google.protobuf.Timestamp rotate_time = 18;
     */
    rotateTime?: Timestamp | undefined;
};
/**
 * Describes the message llmgateway.v1.ApiKey.
 * Use `create(ApiKeySchema)` to create a new message.
 */
export declare const ApiKeySchema: GenMessage<ApiKey>;
/**
 * Create a key.
 *
 * @generated from message llmgateway.v1.CreateApiKeyRequest
 */
export type CreateApiKeyRequest = Message<"llmgateway.v1.CreateApiKeyRequest"> & {
    /**
     * @generated from field: llmgateway.v1.ApiKey api_key = 1;
     */
    apiKey?: ApiKey | undefined;
    /**
     * Optional id, [a-z0-9][a-z0-9-]{0,62}; generated when empty.
     *
     * @generated from field: string key_id = 2;
     */
    keyId: string;
};
/**
 * Describes the message llmgateway.v1.CreateApiKeyRequest.
 * Use `create(CreateApiKeyRequestSchema)` to create a new message.
 */
export declare const CreateApiKeyRequestSchema: GenMessage<CreateApiKeyRequest>;
/**
 * The new key and its secret (shown this once).
 *
 * @generated from message llmgateway.v1.CreateApiKeyResponse
 */
export type CreateApiKeyResponse = Message<"llmgateway.v1.CreateApiKeyResponse"> & {
    /**
     * @generated from field: llmgateway.v1.ApiKey api_key = 1;
     */
    apiKey?: ApiKey | undefined;
    /**
     * @generated from field: string secret = 2;
     */
    secret: string;
};
/**
 * Describes the message llmgateway.v1.CreateApiKeyResponse.
 * Use `create(CreateApiKeyResponseSchema)` to create a new message.
 */
export declare const CreateApiKeyResponseSchema: GenMessage<CreateApiKeyResponse>;
/**
 * List keys.
 *
 * @generated from message llmgateway.v1.ListApiKeysRequest
 */
export type ListApiKeysRequest = Message<"llmgateway.v1.ListApiKeysRequest"> & {
    /**
     * @generated from field: int32 page_size = 1;
     */
    pageSize: number;
    /**
     * @generated from field: string page_token = 2;
     */
    pageToken: string;
    /**
     * Only keys of this tenant.
     *
     * @generated from field: string tenant = 3;
     */
    tenant: string;
    /**
     * Include revoked and expired keys.
     *
     * @generated from field: bool show_inactive = 4;
     */
    showInactive: boolean;
};
/**
 * Describes the message llmgateway.v1.ListApiKeysRequest.
 * Use `create(ListApiKeysRequestSchema)` to create a new message.
 */
export declare const ListApiKeysRequestSchema: GenMessage<ListApiKeysRequest>;
/**
 * Keys, newest first.
 *
 * @generated from message llmgateway.v1.ListApiKeysResponse
 */
export type ListApiKeysResponse = Message<"llmgateway.v1.ListApiKeysResponse"> & {
    /**
     * @generated from field: repeated llmgateway.v1.ApiKey api_keys = 1;
     */
    apiKeys: ApiKey[];
    /**
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
    /**
     * True when the gateway runs with authentication off: keys can be managed,
     * but no call needs one (every caller is anonymous with every scope).
     *
     * @generated from field: bool authentication_disabled = 3;
     */
    authenticationDisabled: boolean;
};
/**
 * Describes the message llmgateway.v1.ListApiKeysResponse.
 * Use `create(ListApiKeysResponseSchema)` to create a new message.
 */
export declare const ListApiKeysResponseSchema: GenMessage<ListApiKeysResponse>;
/**
 * Rotate a key's secret.
 *
 * @generated from message llmgateway.v1.RotateApiKeyRequest
 */
export type RotateApiKeyRequest = Message<"llmgateway.v1.RotateApiKeyRequest"> & {
    /**
     * "apiKeys/{key_id}".
     *
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * How long the old secret keeps working (unset = it stops at once).
     *
     * @generated from field: google.protobuf.Duration grace_period = 2;
     */
    gracePeriod?: Duration | undefined;
};
/**
 * Describes the message llmgateway.v1.RotateApiKeyRequest.
 * Use `create(RotateApiKeyRequestSchema)` to create a new message.
 */
export declare const RotateApiKeyRequestSchema: GenMessage<RotateApiKeyRequest>;
/**
 * The key and its new secret (shown this once).
 *
 * @generated from message llmgateway.v1.RotateApiKeyResponse
 */
export type RotateApiKeyResponse = Message<"llmgateway.v1.RotateApiKeyResponse"> & {
    /**
     * @generated from field: llmgateway.v1.ApiKey api_key = 1;
     */
    apiKey?: ApiKey | undefined;
    /**
     * @generated from field: string secret = 2;
     */
    secret: string;
};
/**
 * Describes the message llmgateway.v1.RotateApiKeyResponse.
 * Use `create(RotateApiKeyResponseSchema)` to create a new message.
 */
export declare const RotateApiKeyResponseSchema: GenMessage<RotateApiKeyResponse>;
/**
 * Revoke a key.
 *
 * @generated from message llmgateway.v1.RevokeApiKeyRequest
 */
export type RevokeApiKeyRequest = Message<"llmgateway.v1.RevokeApiKeyRequest"> & {
    /**
     * "apiKeys/{key_id}".
     *
     * @generated from field: string name = 1;
     */
    name: string;
};
/**
 * Describes the message llmgateway.v1.RevokeApiKeyRequest.
 * Use `create(RevokeApiKeyRequestSchema)` to create a new message.
 */
export declare const RevokeApiKeyRequestSchema: GenMessage<RevokeApiKeyRequest>;
/**
 * The revoked key.
 *
 * @generated from message llmgateway.v1.RevokeApiKeyResponse
 */
export type RevokeApiKeyResponse = Message<"llmgateway.v1.RevokeApiKeyResponse"> & {
    /**
     * @generated from field: llmgateway.v1.ApiKey api_key = 1;
     */
    apiKey?: ApiKey | undefined;
};
/**
 * Describes the message llmgateway.v1.RevokeApiKeyResponse.
 * Use `create(RevokeApiKeyResponseSchema)` to create a new message.
 */
export declare const RevokeApiKeyResponseSchema: GenMessage<RevokeApiKeyResponse>;
/**
 * Recommendations request.
 *
 * @generated from message llmgateway.v1.ListRecommendationsRequest
 */
export type ListRecommendationsRequest = Message<"llmgateway.v1.ListRecommendationsRequest"> & {
    /**
     * Days of ledger to read, ending now; 0 = 7, at most 90.
     *
     * @generated from field: int32 lookback_days = 1;
     */
    lookbackDays: number;
};
/**
 * Describes the message llmgateway.v1.ListRecommendationsRequest.
 * Use `create(ListRecommendationsRequestSchema)` to create a new message.
 */
export declare const ListRecommendationsRequestSchema: GenMessage<ListRecommendationsRequest>;
/**
 * Recommendations response.
 *
 * @generated from message llmgateway.v1.ListRecommendationsResponse
 */
export type ListRecommendationsResponse = Message<"llmgateway.v1.ListRecommendationsResponse"> & {
    /**
     * Largest savings first within each kind.
     *
     * @generated from field: repeated llmgateway.v1.Recommendation recommendations = 1;
     */
    recommendations: Recommendation[];
    /**
     * The ledger window the figures come from.
     *
     * @generated from field: google.protobuf.Timestamp start_time = 2;
     */
    startTime?: Timestamp | undefined;
    /**
     * @generated from field: google.protobuf.Timestamp end_time = 3;
     */
    endTime?: Timestamp | undefined;
};
/**
 * Describes the message llmgateway.v1.ListRecommendationsResponse.
 * Use `create(ListRecommendationsResponseSchema)` to create a new message.
 */
export declare const ListRecommendationsResponseSchema: GenMessage<ListRecommendationsResponse>;
/**
 * One saving, with the ledger figures it rests on.
 *
 * @generated from message llmgateway.v1.Recommendation
 */
export type Recommendation = Message<"llmgateway.v1.Recommendation"> & {
    /**
     * @generated from field: llmgateway.v1.RecommendationKind kind = 1;
     */
    kind: RecommendationKind;
    /**
     * One line stating the figures below (generated from them).
     *
     * @generated from field: string summary = 2;
     */
    summary: string;
    /**
     * What the ledger charged (break-even: uptime x hourly rate).
     *
     * @generated from field: google.type.Money observed_cost = 3;
     */
    observedCost?: Money | undefined;
    /**
     * What the alternative would have cost for the same usage.
     *
     * @generated from field: google.type.Money alternative_cost = 4;
     */
    alternativeCost?: Money | undefined;
    /**
     * observed_cost - alternative_cost; negative when the current setup is the
     * cheaper one (break-even only).
     *
     * @generated from field: google.type.Money savings = 5;
     */
    savings?: Money | undefined;
    /**
     * "backends/{backend}" and model id of what was used.
     *
     * @generated from field: string backend = 6;
     */
    backend: string;
    /**
     * @generated from field: string model = 7;
     */
    model: string;
    /**
     * The alternative (cheaper model, or the API model priced for break-even).
     *
     * @generated from field: string alternative_backend = 8;
     */
    alternativeBackend: string;
    /**
     * @generated from field: string alternative_model = 9;
     */
    alternativeModel: string;
    /**
     * Requests (attempts for per-model kinds) and their tokens in the window.
     *
     * @generated from field: int64 request_count = 10;
     */
    requestCount: bigint;
    /**
     * @generated from field: llmgateway.v1.UsageTotals usage = 11;
     */
    usage?: UsageTotals | undefined;
    /**
     * Response cache: requests that repeated an earlier identical request.
     *
     * @generated from field: int64 repeat_request_count = 12;
     */
    repeatRequestCount: bigint;
    /**
     * repeat_request_count / request_count.
     *
     * @generated from field: double repeat_share = 13;
     */
    repeatShare: number;
    /**
     * Break-even: uptime in the window, the hourly rate, and the throughput
     * (tokens per hour, at the observed mix) at which both cost the same.
     *
     * @generated from field: google.protobuf.Duration uptime = 14;
     */
    uptime?: Duration | undefined;
    /**
     * @generated from field: google.type.Money hourly_rate = 15;
     */
    hourlyRate?: Money | undefined;
    /**
     * @generated from field: int64 break_even_tokens_per_hour = 16;
     */
    breakEvenTokensPerHour: bigint;
};
/**
 * Describes the message llmgateway.v1.Recommendation.
 * Use `create(RecommendationSchema)` to create a new message.
 */
export declare const RecommendationSchema: GenMessage<Recommendation>;
/**
 * Open request.
 *
 * @generated from message llmgateway.v1.OpenCircuitBreakerRequest
 */
export type OpenCircuitBreakerRequest = Message<"llmgateway.v1.OpenCircuitBreakerRequest"> & {
    /**
     * "backends/{backend}".
     *
     * @generated from field: string backend = 1;
     */
    backend: string;
    /**
     * One model of the backend; empty = every model it serves.
     *
     * @generated from field: string model_id = 2;
     */
    modelId: string;
    /**
     * Why (kept in the audit trail).
     *
     * @generated from field: string reason = 3;
     */
    reason: string;
};
/**
 * Describes the message llmgateway.v1.OpenCircuitBreakerRequest.
 * Use `create(OpenCircuitBreakerRequestSchema)` to create a new message.
 */
export declare const OpenCircuitBreakerRequestSchema: GenMessage<OpenCircuitBreakerRequest>;
/**
 * Open response: the breakers now held open.
 *
 * @generated from message llmgateway.v1.OpenCircuitBreakerResponse
 */
export type OpenCircuitBreakerResponse = Message<"llmgateway.v1.OpenCircuitBreakerResponse"> & {
    /**
     * @generated from field: repeated llmgateway.v1.CircuitBreakerReport circuit_breakers = 1;
     */
    circuitBreakers: CircuitBreakerReport[];
};
/**
 * Describes the message llmgateway.v1.OpenCircuitBreakerResponse.
 * Use `create(OpenCircuitBreakerResponseSchema)` to create a new message.
 */
export declare const OpenCircuitBreakerResponseSchema: GenMessage<OpenCircuitBreakerResponse>;
/**
 * Reset request.
 *
 * @generated from message llmgateway.v1.ResetCircuitBreakerRequest
 */
export type ResetCircuitBreakerRequest = Message<"llmgateway.v1.ResetCircuitBreakerRequest"> & {
    /**
     * "backends/{backend}".
     *
     * @generated from field: string backend = 1;
     */
    backend: string;
    /**
     * One model of the backend; empty = every model it serves.
     *
     * @generated from field: string model_id = 2;
     */
    modelId: string;
    /**
     * Why (kept in the audit trail).
     *
     * @generated from field: string reason = 3;
     */
    reason: string;
};
/**
 * Describes the message llmgateway.v1.ResetCircuitBreakerRequest.
 * Use `create(ResetCircuitBreakerRequestSchema)` to create a new message.
 */
export declare const ResetCircuitBreakerRequestSchema: GenMessage<ResetCircuitBreakerRequest>;
/**
 * Reset response: the breakers now closed.
 *
 * @generated from message llmgateway.v1.ResetCircuitBreakerResponse
 */
export type ResetCircuitBreakerResponse = Message<"llmgateway.v1.ResetCircuitBreakerResponse"> & {
    /**
     * @generated from field: repeated llmgateway.v1.CircuitBreakerReport circuit_breakers = 1;
     */
    circuitBreakers: CircuitBreakerReport[];
};
/**
 * Describes the message llmgateway.v1.ResetCircuitBreakerResponse.
 * Use `create(ResetCircuitBreakerResponseSchema)` to create a new message.
 */
export declare const ResetCircuitBreakerResponseSchema: GenMessage<ResetCircuitBreakerResponse>;
/**
 * Explain request.
 *
 * @generated from message llmgateway.v1.ExplainRouteRequest
 */
export type ExplainRouteRequest = Message<"llmgateway.v1.ExplainRouteRequest"> & {
    /**
     * The chat request whose route to explain; nothing is sent upstream,
     * nothing is billed or counted against a limit.
     *
     * @generated from field: llmgateway.v1.ChatRequest chat = 1;
     */
    chat?: ChatRequest | undefined;
};
/**
 * Describes the message llmgateway.v1.ExplainRouteRequest.
 * Use `create(ExplainRouteRequestSchema)` to create a new message.
 */
export declare const ExplainRouteRequestSchema: GenMessage<ExplainRouteRequest>;
/**
 * Explain response.
 *
 * @generated from message llmgateway.v1.ExplainRouteResponse
 */
export type ExplainRouteResponse = Message<"llmgateway.v1.ExplainRouteResponse"> & {
    /**
     * Alias the model field named (empty for a model id).
     *
     * @generated from field: string alias = 1;
     */
    alias: string;
    /**
     * Strategy the plan applied ("" = the chain order), after any soft-budget
     * downgrade ("cost").
     *
     * @generated from field: string strategy = 2;
     */
    strategy: string;
    /**
     * Input tokens the plan estimated for the prompt.
     *
     * @generated from field: int32 estimated_input_token_count = 3;
     */
    estimatedInputTokenCount: number;
    /**
     * The eligible targets in the order the attempt loop would try them, then
     * the ineligible ones with their failed check.
     *
     * @generated from field: repeated llmgateway.v1.RouteCandidate candidates = 4;
     */
    candidates: RouteCandidate[];
};
/**
 * Describes the message llmgateway.v1.ExplainRouteResponse.
 * Use `create(ExplainRouteResponseSchema)` to create a new message.
 */
export declare const ExplainRouteResponseSchema: GenMessage<ExplainRouteResponse>;
/**
 * One target of an explained route.
 *
 * @generated from message llmgateway.v1.RouteCandidate
 */
export type RouteCandidate = Message<"llmgateway.v1.RouteCandidate"> & {
    /**
     * "backends/{backend}".
     *
     * @generated from field: string backend = 1;
     */
    backend: string;
    /**
     * @generated from field: string model_id = 2;
     */
    modelId: string;
    /**
     * True when the plan keeps it (it may still be skipped at call time: an
     * open circuit or keys without capacity, see `checks`).
     *
     * @generated from field: bool eligible = 3;
     */
    eligible: boolean;
    /**
     * 1-based place in the attempt order; 0 when not eligible.
     *
     * @generated from field: int32 position = 4;
     */
    position: number;
    /**
     * Every check and its verdict, in the order the plan makes them.
     *
     * @generated from field: repeated llmgateway.v1.RouteCheck checks = 5;
     */
    checks: RouteCheck[];
    /**
     * Upper-bound cost of the request on this target; unset when unpriced.
     *
     * @generated from field: google.type.Money estimated_cost = 6;
     */
    estimatedCost?: Money | undefined;
    /**
     * The strategy's sort key (lower is tried first); the chain position for
     * chain order.
     *
     * @generated from field: double score = 7;
     */
    score: number;
    /**
     * @generated from field: llmgateway.v1.CircuitState circuit_state = 8;
     */
    circuitState: CircuitState;
};
/**
 * Describes the message llmgateway.v1.RouteCandidate.
 * Use `create(RouteCandidateSchema)` to create a new message.
 */
export declare const RouteCandidateSchema: GenMessage<RouteCandidate>;
/**
 * One eligibility check of a route candidate.
 *
 * @generated from message llmgateway.v1.RouteCheck
 */
export type RouteCheck = Message<"llmgateway.v1.RouteCheck"> & {
    /**
     * "CAPABILITY", "CONTEXT_WINDOW", "COST_CAP", "CIRCUIT", "KEY_CAPACITY".
     *
     * @generated from field: string check = 1;
     */
    check: string;
    /**
     * @generated from field: bool passed = 2;
     */
    passed: boolean;
    /**
     * Why it failed, or what it saw.
     *
     * @generated from field: string detail = 3;
     */
    detail: string;
};
/**
 * Describes the message llmgateway.v1.RouteCheck.
 * Use `create(RouteCheckSchema)` to create a new message.
 */
export declare const RouteCheckSchema: GenMessage<RouteCheck>;
/**
 * Upstream engine/provider kind.
 *
 * @generated from enum llmgateway.v1.BackendType
 */
export declare enum BackendType {
    /**
     * @generated from enum value: BACKEND_TYPE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * vLLM OpenAI-compatible server (or its gRPC frontend).
     *
     * @generated from enum value: BACKEND_TYPE_VLLM = 1;
     */
    VLLM = 1,
    /**
     * @generated from enum value: BACKEND_TYPE_SGLANG = 2;
     */
    SGLANG = 2,
    /**
     * @generated from enum value: BACKEND_TYPE_TGI = 3;
     */
    TGI = 3,
    /**
     * @generated from enum value: BACKEND_TYPE_OPENAI = 4;
     */
    OPENAI = 4,
    /**
     * @generated from enum value: BACKEND_TYPE_ANTHROPIC = 5;
     */
    ANTHROPIC = 5,
    /**
     * @generated from enum value: BACKEND_TYPE_GEMINI = 6;
     */
    GEMINI = 6,
    /**
     * @generated from enum value: BACKEND_TYPE_VERTEX_AI = 7;
     */
    VERTEX_AI = 7,
    /**
     * Any other OpenAI-compatible HTTP endpoint.
     *
     * @generated from enum value: BACKEND_TYPE_OPENAI_COMPATIBLE = 8;
     */
    OPENAI_COMPATIBLE = 8,
    /**
     * The built-in demo backend: simulated answers, no model is called.
     *
     * @generated from enum value: BACKEND_TYPE_SIMULATED = 9;
     */
    SIMULATED = 9
}
/**
 * Describes the enum llmgateway.v1.BackendType.
 */
export declare const BackendTypeSchema: GenEnum<BackendType>;
/**
 * Administrative state (what the operator wants).
 *
 * @generated from enum llmgateway.v1.BackendState
 */
export declare enum BackendState {
    /**
     * @generated from enum value: BACKEND_STATE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: BACKEND_STATE_ENABLED = 1;
     */
    ENABLED = 1,
    /**
     * Finish in-flight requests, accept no new ones.
     *
     * @generated from enum value: BACKEND_STATE_DRAINING = 2;
     */
    DRAINING = 2,
    /**
     * @generated from enum value: BACKEND_STATE_DISABLED = 3;
     */
    DISABLED = 3
}
/**
 * Describes the enum llmgateway.v1.BackendState.
 */
export declare const BackendStateSchema: GenEnum<BackendState>;
/**
 * Observed health (what the prober sees).
 *
 * @generated from enum llmgateway.v1.HealthState
 */
export declare enum HealthState {
    /**
     * @generated from enum value: HEALTH_STATE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Not probed yet -> grpc.health.v1 UNKNOWN.
     *
     * @generated from enum value: HEALTH_STATE_UNKNOWN = 1;
     */
    UNKNOWN = 1,
    /**
     * -> SERVING.
     *
     * @generated from enum value: HEALTH_STATE_HEALTHY = 2;
     */
    HEALTHY = 2,
    /**
     * Elevated errors/latency but still routable -> SERVING.
     *
     * @generated from enum value: HEALTH_STATE_DEGRADED = 3;
     */
    DEGRADED = 3,
    /**
     * Probe failing or circuit open -> NOT_SERVING.
     *
     * @generated from enum value: HEALTH_STATE_UNHEALTHY = 4;
     */
    UNHEALTHY = 4
}
/**
 * Describes the enum llmgateway.v1.HealthState.
 */
export declare const HealthStateSchema: GenEnum<HealthState>;
/**
 * How SwitchBackend treats requests already running on the old target.
 *
 * @generated from enum llmgateway.v1.SwitchMode
 */
export declare enum SwitchMode {
    /**
     * Same as DRAIN.
     *
     * @generated from enum value: SWITCH_MODE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * New requests go to the new target; in-flight ones finish where they are.
     *
     * @generated from enum value: SWITCH_MODE_DRAIN = 1;
     */
    DRAIN = 1,
    /**
     * Also cancel in-flight requests on the old target (callers get
     * UNAVAILABLE and may retry).
     *
     * @generated from enum value: SWITCH_MODE_IMMEDIATE = 2;
     */
    IMMEDIATE = 2
}
/**
 * Describes the enum llmgateway.v1.SwitchMode.
 */
export declare const SwitchModeSchema: GenEnum<SwitchMode>;
/**
 * Report dimensions.
 *
 * @generated from enum llmgateway.v1.CostDimension
 */
export declare enum CostDimension {
    /**
     * @generated from enum value: COST_DIMENSION_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: COST_DIMENSION_PROJECT = 1;
     */
    PROJECT = 1,
    /**
     * @generated from enum value: COST_DIMENSION_MODEL = 2;
     */
    MODEL = 2,
    /**
     * @generated from enum value: COST_DIMENSION_BACKEND = 3;
     */
    BACKEND = 3,
    /**
     * @generated from enum value: COST_DIMENSION_END_USER = 4;
     */
    END_USER = 4,
    /**
     * Tenant of the authenticated principal.
     *
     * @generated from enum value: COST_DIMENSION_TENANT = 5;
     */
    TENANT = 5,
    /**
     * Gateway API key id (never the key).
     *
     * @generated from enum value: COST_DIMENSION_API_KEY = 6;
     */
    API_KEY = 6
}
/**
 * Describes the enum llmgateway.v1.CostDimension.
 */
export declare const CostDimensionSchema: GenEnum<CostDimension>;
/**
 * Time bucket size.
 *
 * @generated from enum llmgateway.v1.CostGranularity
 */
export declare enum CostGranularity {
    /**
     * Same as TOTAL.
     *
     * @generated from enum value: COST_GRANULARITY_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: COST_GRANULARITY_HOUR = 1;
     */
    HOUR = 1,
    /**
     * @generated from enum value: COST_GRANULARITY_DAY = 2;
     */
    DAY = 2,
    /**
     * @generated from enum value: COST_GRANULARITY_MONTH = 3;
     */
    MONTH = 3,
    /**
     * One bucket for the whole interval.
     *
     * @generated from enum value: COST_GRANULARITY_TOTAL = 4;
     */
    TOTAL = 4
}
/**
 * Describes the enum llmgateway.v1.CostGranularity.
 */
export declare const CostGranularitySchema: GenEnum<CostGranularity>;
/**
 * Status of one upstream attempt in the ledger.
 *
 * @generated from enum llmgateway.v1.AttemptStatus
 */
export declare enum AttemptStatus {
    /**
     * @generated from enum value: ATTEMPT_STATUS_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: ATTEMPT_STATUS_OK = 1;
     */
    OK = 1,
    /**
     * @generated from enum value: ATTEMPT_STATUS_ERROR = 2;
     */
    ERROR = 2,
    /**
     * The caller cancelled (or its deadline passed); what was produced is billed.
     *
     * @generated from enum value: ATTEMPT_STATUS_CANCELLED = 3;
     */
    CANCELLED = 3,
    /**
     * The upstream stream broke after tokens were sent.
     *
     * @generated from enum value: ATTEMPT_STATUS_TRUNCATED = 4;
     */
    TRUNCATED = 4,
    /**
     * Answered by the gateway response cache: no upstream call, zero cost; the
     * usage is the cached answer's (what the cache saved).
     *
     * @generated from enum value: ATTEMPT_STATUS_CACHE_HIT = 5;
     */
    CACHE_HIT = 5,
    /**
     * Shared the answer of an identical in-flight request (single-flight):
     * no upstream call of its own, zero cost.
     *
     * @generated from enum value: ATTEMPT_STATUS_COALESCED = 6;
     */
    COALESCED = 6
}
/**
 * Describes the enum llmgateway.v1.AttemptStatus.
 */
export declare const AttemptStatusSchema: GenEnum<AttemptStatus>;
/**
 * Where an attempt's token counts came from.
 *
 * @generated from enum llmgateway.v1.UsageSource
 */
export declare enum UsageSource {
    /**
     * @generated from enum value: USAGE_SOURCE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Reported by the provider.
     *
     * @generated from enum value: USAGE_SOURCE_PROVIDER = 1;
     */
    PROVIDER = 1,
    /**
     * Estimated by the gateway (stream cut before the provider reported usage).
     *
     * @generated from enum value: USAGE_SOURCE_ESTIMATED = 2;
     */
    ESTIMATED = 2
}
/**
 * Describes the enum llmgateway.v1.UsageSource.
 */
export declare const UsageSourceSchema: GenEnum<UsageSource>;
/**
 * Budget period.
 *
 * @generated from enum llmgateway.v1.BudgetPeriod
 */
export declare enum BudgetPeriod {
    /**
     * @generated from enum value: BUDGET_PERIOD_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: BUDGET_PERIOD_DAILY = 1;
     */
    DAILY = 1,
    /**
     * @generated from enum value: BUDGET_PERIOD_WEEKLY = 2;
     */
    WEEKLY = 2,
    /**
     * @generated from enum value: BUDGET_PERIOD_MONTHLY = 3;
     */
    MONTHLY = 3,
    /**
     * Never resets.
     *
     * @generated from enum value: BUDGET_PERIOD_LIFETIME = 4;
     */
    LIFETIME = 4
}
/**
 * Describes the enum llmgateway.v1.BudgetPeriod.
 */
export declare const BudgetPeriodSchema: GenEnum<BudgetPeriod>;
/**
 * What happens when spend reaches the limit.
 *
 * @generated from enum llmgateway.v1.BudgetEnforcement
 */
export declare enum BudgetEnforcement {
    /**
     * @generated from enum value: BUDGET_ENFORCEMENT_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Reject with RESOURCE_EXHAUSTED / BUDGET_EXHAUSTED.
     *
     * @generated from enum value: BUDGET_ENFORCEMENT_HARD = 1;
     */
    HARD = 1,
    /**
     * Alert only.
     *
     * @generated from enum value: BUDGET_ENFORCEMENT_SOFT = 2;
     */
    SOFT = 2,
    /**
     * Route to the cheapest equivalent target instead of rejecting.
     *
     * @generated from enum value: BUDGET_ENFORCEMENT_DOWNGRADE = 3;
     */
    DOWNGRADE = 3
}
/**
 * Describes the enum llmgateway.v1.BudgetEnforcement.
 */
export declare const BudgetEnforcementSchema: GenEnum<BudgetEnforcement>;
/**
 * Severity of a budget alert.
 *
 * @generated from enum llmgateway.v1.AlertSeverity
 */
export declare enum AlertSeverity {
    /**
     * @generated from enum value: ALERT_SEVERITY_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * 75 % by default.
     *
     * @generated from enum value: ALERT_SEVERITY_WARNING = 1;
     */
    WARNING = 1,
    /**
     * 90 % by default.
     *
     * @generated from enum value: ALERT_SEVERITY_CRITICAL = 2;
     */
    CRITICAL = 2,
    /**
     * 100 %: a hard budget now rejects new requests.
     *
     * @generated from enum value: ALERT_SEVERITY_EXHAUSTED = 3;
     */
    EXHAUSTED = 3
}
/**
 * Describes the enum llmgateway.v1.AlertSeverity.
 */
export declare const AlertSeveritySchema: GenEnum<AlertSeverity>;
/**
 * State of a circuit breaker.
 *
 * @generated from enum llmgateway.v1.CircuitState
 */
export declare enum CircuitState {
    /**
     * @generated from enum value: CIRCUIT_STATE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Calls flow.
     *
     * @generated from enum value: CIRCUIT_STATE_CLOSED = 1;
     */
    CLOSED = 1,
    /**
     * Calls are refused without reaching the backend until the cool-down ends.
     *
     * @generated from enum value: CIRCUIT_STATE_OPEN = 2;
     */
    OPEN = 2,
    /**
     * A few probe calls are let through; success closes the circuit.
     *
     * @generated from enum value: CIRCUIT_STATE_HALF_OPEN = 3;
     */
    HALF_OPEN = 3
}
/**
 * Describes the enum llmgateway.v1.CircuitState.
 */
export declare const CircuitStateSchema: GenEnum<CircuitState>;
/**
 * Outcome of an audited admin action.
 *
 * @generated from enum llmgateway.v1.AuditOutcome
 */
export declare enum AuditOutcome {
    /**
     * @generated from enum value: AUDIT_OUTCOME_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: AUDIT_OUTCOME_SUCCESS = 1;
     */
    SUCCESS = 1,
    /**
     * @generated from enum value: AUDIT_OUTCOME_FAILURE = 2;
     */
    FAILURE = 2,
    /**
     * A validate_only request: checked, nothing changed.
     *
     * @generated from enum value: AUDIT_OUTCOME_DRY_RUN = 3;
     */
    DRY_RUN = 3
}
/**
 * Describes the enum llmgateway.v1.AuditOutcome.
 */
export declare const AuditOutcomeSchema: GenEnum<AuditOutcome>;
/**
 * State of a gateway API key.
 *
 * @generated from enum llmgateway.v1.ApiKeyState
 */
export declare enum ApiKeyState {
    /**
     * @generated from enum value: API_KEY_STATE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: API_KEY_STATE_ACTIVE = 1;
     */
    ACTIVE = 1,
    /**
     * @generated from enum value: API_KEY_STATE_REVOKED = 2;
     */
    REVOKED = 2,
    /**
     * @generated from enum value: API_KEY_STATE_EXPIRED = 3;
     */
    EXPIRED = 3
}
/**
 * Describes the enum llmgateway.v1.ApiKeyState.
 */
export declare const ApiKeyStateSchema: GenEnum<ApiKeyState>;
/**
 * What a recommendation is about.
 *
 * @generated from enum llmgateway.v1.RecommendationKind
 */
export declare enum RecommendationKind {
    /**
     * @generated from enum value: RECOMMENDATION_KIND_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * A model with the same capabilities that would have cost less for the
     * observed token mix (list prices).
     *
     * @generated from enum value: RECOMMENDATION_KIND_CHEAPER_MODEL = 1;
     */
    CHEAPER_MODEL = 1,
    /**
     * Exact-repeat requests a response cache would have served.
     *
     * @generated from enum value: RECOMMENDATION_KIND_RESPONSE_CACHE = 2;
     */
    RESPONSE_CACHE = 2,
    /**
     * A self-hosted backend's uptime cost against the API cost of its tokens.
     *
     * @generated from enum value: RECOMMENDATION_KIND_SELF_HOSTED_BREAK_EVEN = 3;
     */
    SELF_HOSTED_BREAK_EVEN = 3
}
/**
 * Describes the enum llmgateway.v1.RecommendationKind.
 */
export declare const RecommendationKindSchema: GenEnum<RecommendationKind>;
/**
 * Control plane for operators (grpcurl, internal tooling). Served on a
 * separate, internal-only listener with its own auth, so data-plane keys can
 * never reach it and it can be left out of public ingress entirely.
 * Anchor: Triton/KServe keep repository/model-control RPCs next to infer;
 * TGI/vLLM/SGLang keep Info/Health/Abort beside Generate — we split them
 * because of the different audience and blast radius.
 *
 * @generated from service llmgateway.v1.AdminService
 */
export declare const AdminService: GenService<{
    /**
     * Backends (AIP-132/131/133/134; buf STANDARD wants *Response wrappers
     * instead of returning the resource directly as AIP-131 does).
     *
     * @generated from rpc llmgateway.v1.AdminService.ListBackends
     */
    listBackends: {
        methodKind: "unary";
        input: typeof ListBackendsRequestSchema;
        output: typeof ListBackendsResponseSchema;
    };
    /**
     * @generated from rpc llmgateway.v1.AdminService.GetBackend
     */
    getBackend: {
        methodKind: "unary";
        input: typeof GetBackendRequestSchema;
        output: typeof GetBackendResponseSchema;
    };
    /**
     * @generated from rpc llmgateway.v1.AdminService.CreateBackend
     */
    createBackend: {
        methodKind: "unary";
        input: typeof CreateBackendRequestSchema;
        output: typeof CreateBackendResponseSchema;
    };
    /**
     * Standard update with FieldMask. "Set a vLLM endpoint" is
     * UpdateBackend{backend{name, endpoint_uri}, update_mask: "endpoint_uri"}.
     *
     * @generated from rpc llmgateway.v1.AdminService.UpdateBackend
     */
    updateBackend: {
        methodKind: "unary";
        input: typeof UpdateBackendRequestSchema;
        output: typeof UpdateBackendResponseSchema;
    };
    /**
     * Routes = aliases -> weighted backend/model targets.
     *
     * @generated from rpc llmgateway.v1.AdminService.ListRoutes
     */
    listRoutes: {
        methodKind: "unary";
        input: typeof ListRoutesRequestSchema;
        output: typeof ListRoutesResponseSchema;
    };
    /**
     * Atomically point a route at another backend, optionally draining
     * in-flight requests and auto-reverting after a TTL (AIP-136 custom
     * method: an action with side effects beyond a field update).
     *
     * @generated from rpc llmgateway.v1.AdminService.SwitchBackend
     */
    switchBackend: {
        methodKind: "unary";
        input: typeof SwitchBackendRequestSchema;
        output: typeof SwitchBackendResponseSchema;
    };
    /**
     * Spend and usage report, grouped and bucketed.
     *
     * @generated from rpc llmgateway.v1.AdminService.GetCosts
     */
    getCosts: {
        methodKind: "unary";
        input: typeof GetCostsRequestSchema;
        output: typeof GetCostsResponseSchema;
    };
    /**
     * Savings the ledger of the last days shows, each with its figures.
     *
     * @generated from rpc llmgateway.v1.AdminService.ListRecommendations
     */
    listRecommendations: {
        methodKind: "unary";
        input: typeof ListRecommendationsRequestSchema;
        output: typeof ListRecommendationsResponseSchema;
    };
    /**
     * Budgets.
     *
     * @generated from rpc llmgateway.v1.AdminService.ListBudgets
     */
    listBudgets: {
        methodKind: "unary";
        input: typeof ListBudgetsRequestSchema;
        output: typeof ListBudgetsResponseSchema;
    };
    /**
     * Upsert with allow_missing (AIP-134).
     *
     * @generated from rpc llmgateway.v1.AdminService.UpdateBudget
     */
    updateBudget: {
        methodKind: "unary";
        input: typeof UpdateBudgetRequestSchema;
        output: typeof UpdateBudgetResponseSchema;
    };
    /**
     * Point-in-time metrics snapshot (Prometheus remains the time series).
     *
     * @generated from rpc llmgateway.v1.AdminService.GetMetrics
     */
    getMetrics: {
        methodKind: "unary";
        input: typeof GetMetricsRequestSchema;
        output: typeof GetMetricsResponseSchema;
    };
    /**
     * Detailed health of the gateway and every backend (the same states that
     * are published through grpc.health.v1 service names).
     *
     * @generated from rpc llmgateway.v1.AdminService.GetHealth
     */
    getHealth: {
        methodKind: "unary";
        input: typeof GetHealthRequestSchema;
        output: typeof GetHealthResponseSchema;
    };
    /**
     * Append-only audit trail of admin actions (backend switches, endpoint
     * updates, budget changes, key management, config reloads), newest first
     * (AIP-158 pagination).
     *
     * @generated from rpc llmgateway.v1.AdminService.ListAuditEvents
     */
    listAuditEvents: {
        methodKind: "unary";
        input: typeof ListAuditEventsRequestSchema;
        output: typeof ListAuditEventsResponseSchema;
    };
    /**
     * Gateway API keys (the credentials callers present). The secret is shown
     * once, in the Create/Rotate response; only its hash is stored.
     *
     * @generated from rpc llmgateway.v1.AdminService.CreateApiKey
     */
    createApiKey: {
        methodKind: "unary";
        input: typeof CreateApiKeyRequestSchema;
        output: typeof CreateApiKeyResponseSchema;
    };
    /**
     * Keys, never their secrets.
     *
     * @generated from rpc llmgateway.v1.AdminService.ListApiKeys
     */
    listApiKeys: {
        methodKind: "unary";
        input: typeof ListApiKeysRequestSchema;
        output: typeof ListApiKeysResponseSchema;
    };
    /**
     * New secret for the same key id (limits and scopes kept); the old secret
     * stops working at once, or after `grace_period`.
     *
     * @generated from rpc llmgateway.v1.AdminService.RotateApiKey
     */
    rotateApiKey: {
        methodKind: "unary";
        input: typeof RotateApiKeyRequestSchema;
        output: typeof RotateApiKeyResponseSchema;
    };
    /**
     * The key stops authenticating at once on the replica that handles the call,
     * and within auth.key_cache_ttl_seconds (default 5 s) on every other replica
     * sharing the store.
     *
     * @generated from rpc llmgateway.v1.AdminService.RevokeApiKey
     */
    revokeApiKey: {
        methodKind: "unary";
        input: typeof RevokeApiKeyRequestSchema;
        output: typeof RevokeApiKeyResponseSchema;
    };
    /**
     * Take a backend (every model it serves) or one of its models out: its
     * circuit breakers are held open until ResetCircuitBreaker. Audited.
     * Breakers are per gateway process: call every replica to take it out
     * everywhere.
     *
     * @generated from rpc llmgateway.v1.AdminService.OpenCircuitBreaker
     */
    openCircuitBreaker: {
        methodKind: "unary";
        input: typeof OpenCircuitBreakerRequestSchema;
        output: typeof OpenCircuitBreakerResponseSchema;
    };
    /**
     * Close the circuit breakers of a backend or one of its models and clear
     * their failure counts (also ends a forced open). Audited.
     *
     * @generated from rpc llmgateway.v1.AdminService.ResetCircuitBreaker
     */
    resetCircuitBreaker: {
        methodKind: "unary";
        input: typeof ResetCircuitBreakerRequestSchema;
        output: typeof ResetCircuitBreakerResponseSchema;
    };
    /**
     * The ordered targets a chat request would try, without calling any
     * upstream: each with its eligibility checks (capability, context window,
     * max_cost, circuit breaker, key capacity), estimated cost and the
     * strategy's score. Runs the routing plan itself, never a copy of it.
     *
     * @generated from rpc llmgateway.v1.AdminService.ExplainRoute
     */
    explainRoute: {
        methodKind: "unary";
        input: typeof ExplainRouteRequestSchema;
        output: typeof ExplainRouteResponseSchema;
    };
    /**
     * Drops the gateway response cache's entries of one scope (exact and
     * semantic; this replica's memory, the shared Redis tier and the shared
     * semantic index). Other replicas' memory tiers keep what they hold until
     * it expires. Audited.
     *
     * @generated from rpc llmgateway.v1.AdminService.PurgeResponseCache
     */
    purgeResponseCache: {
        methodKind: "unary";
        input: typeof PurgeResponseCacheRequestSchema;
        output: typeof PurgeResponseCacheResponseSchema;
    };
}>;
