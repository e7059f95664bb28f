import type { GenEnum, GenFile, GenMessage } from "@bufbuild/protobuf/codegenv2";
import type { Money } from "../../google/type/money_pb.js";
import type { ResponseFormat } from "./content_pb.js";
import type { JsonObject, Message } from "@bufbuild/protobuf";
/**
 * Describes the file llmgateway/v1/generation.proto.
 */
export declare const file_llmgateway_v1_generation: GenFile;
/**
 * Sampling and output controls.
 * Every scalar is `optional` (explicit presence, AIP-149) because proto3's
 * implicit zero is a legal and meaningful value for most of them
 * (temperature 0 = greedy). Unset means "backend/model default".
 * `double`, not `float`: the server is Python (float64) and forwards to JSON
 * APIs; float32 turns 0.7 into 0.699999988. Anchors (Gemini, TGI, vLLM) use
 * float; the extra 4 bytes per field are irrelevant.
 *
 * @generated from message llmgateway.v1.GenerationConfig
 */
export type GenerationConfig = Message<"llmgateway.v1.GenerationConfig"> & {
    /**
     * [0, 2]. OpenAI/Gemini range; Anthropic accepts [0, 1] (gateway rejects
     * values outside the chosen backend's range with INVALID_ARGUMENT).
     *
     * @generated from field: optional double temperature = 1;
     */
    temperature?: number | undefined;
    /**
     * @generated from field: optional double top_p = 2;
     */
    topP?: number | undefined;
    /**
     * @generated from field: optional int32 top_k = 3;
     */
    topK?: number | undefined;
    /**
     * Anchor: Gemini max_output_tokens (OpenAI max_completion_tokens,
     * Anthropic max_tokens, which is mandatory there: the gateway fills a
     * per-model default).
     *
     * @generated from field: optional int32 max_output_tokens = 4;
     */
    maxOutputTokens?: number | undefined;
    /**
     * Up to 4 (OpenAI limit; Gemini 5). Matched text is not returned.
     *
     * @generated from field: repeated string stop_sequences = 5;
     */
    stopSequences: string[];
    /**
     * Best-effort determinism (OpenAI int64 seed; Gemini/vLLM int32 — the
     * gateway range-checks per backend).
     *
     * @generated from field: optional int64 seed = 6;
     */
    seed?: bigint | undefined;
    /**
     * @generated from field: optional double presence_penalty = 7;
     */
    presencePenalty?: number | undefined;
    /**
     * @generated from field: optional double frequency_penalty = 8;
     */
    frequencyPenalty?: number | undefined;
    /**
     * Number of candidates. Anchor: Gemini candidate_count (OpenAI `n`).
     *
     * @generated from field: optional int32 candidate_count = 9;
     */
    candidateCount?: number | undefined;
    /**
     * Return per-token log probabilities.
     *
     * @generated from field: optional bool logprobs = 10;
     */
    logprobs?: boolean | undefined;
    /**
     * @generated from field: optional int32 top_logprobs = 11;
     */
    topLogprobs?: number | undefined;
    /**
     * @generated from field: llmgateway.v1.ResponseFormat response_format = 12;
     */
    responseFormat?: ResponseFormat | undefined;
    /**
     * @generated from field: llmgateway.v1.ReasoningConfig reasoning = 13;
     */
    reasoning?: ReasoningConfig | undefined;
    /**
     * Escape hatch for backend-specific knobs (vLLM min_p,
     * repetition_penalty, ...). Anchor: SGLang SamplingParams.custom_params,
     * KServe/Triton `parameters` map. Only forwarded to OpenAI-compatible
     * backends; unknown keys are rejected with INVALID_ARGUMENT.
     *
     * @generated from field: google.protobuf.Struct backend_parameters = 14;
     */
    backendParameters?: JsonObject | undefined;
};
/**
 * Describes the message llmgateway.v1.GenerationConfig.
 * Use `create(GenerationConfigSchema)` to create a new message.
 */
export declare const GenerationConfigSchema: GenMessage<GenerationConfig>;
/**
 * Reasoning/thinking controls. Anchor: OpenAI reasoning_effort, Anthropic
 * thinking.budget_tokens / output_config.effort, Gemini ThinkingConfig.
 *
 * @generated from message llmgateway.v1.ReasoningConfig
 */
export type ReasoningConfig = Message<"llmgateway.v1.ReasoningConfig"> & {
    /**
     * @generated from field: llmgateway.v1.ReasoningConfig.Effort effort = 1;
     */
    effort: ReasoningConfig_Effort;
    /**
     * Explicit thinking budget; overrides `effort` where supported.
     *
     * @generated from field: optional int32 budget_token_count = 2;
     */
    budgetTokenCount?: number | undefined;
    /**
     * Return reasoning parts (where the provider exposes them).
     *
     * @generated from field: bool include_reasoning = 3;
     */
    includeReasoning: boolean;
};
/**
 * Describes the message llmgateway.v1.ReasoningConfig.
 * Use `create(ReasoningConfigSchema)` to create a new message.
 */
export declare const ReasoningConfigSchema: GenMessage<ReasoningConfig>;
/**
 * Abstract effort level mapped per backend.
 *
 * @generated from enum llmgateway.v1.ReasoningConfig.Effort
 */
export declare enum ReasoningConfig_Effort {
    /**
     * @generated from enum value: EFFORT_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: EFFORT_NONE = 1;
     */
    NONE = 1,
    /**
     * @generated from enum value: EFFORT_LOW = 2;
     */
    LOW = 2,
    /**
     * @generated from enum value: EFFORT_MEDIUM = 3;
     */
    MEDIUM = 3,
    /**
     * @generated from enum value: EFFORT_HIGH = 4;
     */
    HIGH = 4
}
/**
 * Describes the enum llmgateway.v1.ReasoningConfig.Effort.
 */
export declare const ReasoningConfig_EffortSchema: GenEnum<ReasoningConfig_Effort>;
/**
 * Token counts for one request. int32 like Gemini UsageMetadata (a single
 * request never needs 64 bits, and int32 maps to a plain JS number in TS).
 * Semantics follow OpenAI/Gemini: input_token_count INCLUDES cached and
 * cache-write tokens (Anthropic reports them separately; the gateway sums).
 *
 * @generated from message llmgateway.v1.Usage
 */
export type Usage = Message<"llmgateway.v1.Usage"> & {
    /**
     * @generated from field: int32 input_token_count = 1;
     */
    inputTokenCount: number;
    /**
     * Includes reasoning_token_count.
     *
     * @generated from field: int32 output_token_count = 2;
     */
    outputTokenCount: number;
    /**
     * @generated from field: int32 total_token_count = 3;
     */
    totalTokenCount: number;
    /**
     * Subset of input served from the provider prompt cache.
     *
     * @generated from field: int32 cached_input_token_count = 4;
     */
    cachedInputTokenCount: number;
    /**
     * Subset of input written to the provider prompt cache (Anthropic).
     *
     * @generated from field: int32 cache_write_input_token_count = 5;
     */
    cacheWriteInputTokenCount: number;
    /**
     * Subset of output spent on hidden reasoning.
     *
     * @generated from field: int32 reasoning_token_count = 6;
     */
    reasoningTokenCount: number;
};
/**
 * Describes the message llmgateway.v1.Usage.
 * Use `create(UsageSchema)` to create a new message.
 */
export declare const UsageSchema: GenMessage<Usage>;
/**
 * Monetary cost of a request. google.type.Money = int64 units + int32 nanos
 * + ISO-4217 currency: exact integers, 1e-9 resolution (never a float).
 *
 * @generated from message llmgateway.v1.Cost
 */
export type Cost = Message<"llmgateway.v1.Cost"> & {
    /**
     * @generated from field: google.type.Money total = 1;
     */
    total?: Money | undefined;
    /**
     * @generated from field: google.type.Money input = 2;
     */
    input?: Money | undefined;
    /**
     * @generated from field: google.type.Money output = 3;
     */
    output?: Money | undefined;
    /**
     * True when the amount is an estimate, e.g. the stream was cancelled
     * before the upstream reported usage, or no price is configured.
     *
     * @generated from field: bool estimated = 4;
     */
    estimated: boolean;
    /**
     * Version of the price table used, for audit/reconciliation.
     *
     * @generated from field: string pricing_version = 5;
     */
    pricingVersion: string;
};
/**
 * Describes the message llmgateway.v1.Cost.
 * Use `create(CostSchema)` to create a new message.
 */
export declare const CostSchema: GenMessage<Cost>;
/**
 * Why generation stopped. Closed, gateway-normalised set; the raw upstream
 * value is kept in `backend_finish_reason` fields so new provider reasons do
 * not break clients (Gemini keeps adding FinishReason values).
 *
 * @generated from enum llmgateway.v1.FinishReason
 */
export declare enum FinishReason {
    /**
     * @generated from enum value: FINISH_REASON_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Natural end or stop sequence (OpenAI stop, Anthropic end_turn /
     * stop_sequence, Gemini STOP).
     *
     * @generated from enum value: FINISH_REASON_STOP = 1;
     */
    STOP = 1,
    /**
     * max_output_tokens reached (OpenAI length, Anthropic max_tokens, Gemini
     * MAX_TOKENS).
     *
     * @generated from enum value: FINISH_REASON_MAX_TOKENS = 2;
     */
    MAX_TOKENS = 2,
    /**
     * The model emitted tool calls (OpenAI tool_calls, Anthropic tool_use).
     *
     * @generated from enum value: FINISH_REASON_TOOL_CALLS = 3;
     */
    TOOL_CALLS = 3,
    /**
     * Filtered/refused (OpenAI content_filter, Anthropic refusal, Gemini
     * SAFETY/RECITATION/BLOCKLIST/PROHIBITED_CONTENT/SPII).
     *
     * @generated from enum value: FINISH_REASON_CONTENT_FILTER = 4;
     */
    CONTENT_FILTER = 4,
    /**
     * Context window exhausted (Anthropic model_context_window_exceeded).
     *
     * @generated from enum value: FINISH_REASON_CONTEXT_WINDOW = 5;
     */
    CONTEXT_WINDOW = 5,
    /**
     * Gateway stopped generation at RoutingOptions.max_cost.
     *
     * @generated from enum value: FINISH_REASON_COST_CAP = 6;
     */
    COST_CAP = 6,
    /**
     * Model produced an unparsable tool call (Gemini MALFORMED_FUNCTION_CALL).
     *
     * @generated from enum value: FINISH_REASON_MALFORMED_TOOL_CALL = 7;
     */
    MALFORMED_TOOL_CALL = 7,
    /**
     * Anything else; see backend_finish_reason.
     *
     * @generated from enum value: FINISH_REASON_OTHER = 15;
     */
    OTHER = 15
}
/**
 * Describes the enum llmgateway.v1.FinishReason.
 */
export declare const FinishReasonSchema: GenEnum<FinishReason>;
