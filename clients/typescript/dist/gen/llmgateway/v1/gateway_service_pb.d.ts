import type { GenEnum, GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import type { Money } from "../../google/type/money_pb.js";
import type { Media, Message as Message$1, Tool, ToolChoice } from "./content_pb.js";
import type { Cost, FinishReason, GenerationConfig, Usage } from "./generation_pb.js";
import type { Attribution, Capability, RouteInfo, RoutingOptions } from "./routing_pb.js";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file llmgateway/v1/gateway_service.proto.
 */
export declare const file_llmgateway_v1_gateway_service: GenFile;
/**
 * Unary chat request. Also embedded in StreamChatRequest so both RPCs share
 * one schema while keeping one request type per RPC (buf
 * RPC_REQUEST_RESPONSE_UNIQUE; Gemini reuses GenerateContentRequest for both
 * RPCs, which that rule forbids).
 *
 * @generated from message llmgateway.v1.ChatRequest
 */
export type ChatRequest = Message<"llmgateway.v1.ChatRequest"> & {
    /**
     * Alias ("chat-default", "tier-premium") or concrete model id
     * ("llama-3.1-70b-instruct"). OpenAI-style bare id, not "models/...".
     *
     * @generated from field: string model = 1;
     */
    model: string;
    /**
     * Conversation so far; ROLE_SYSTEM messages first.
     *
     * @generated from field: repeated llmgateway.v1.Message messages = 2;
     */
    messages: Message$1[];
    /**
     * @generated from field: llmgateway.v1.GenerationConfig generation_config = 3;
     */
    generationConfig?: GenerationConfig | undefined;
    /**
     * @generated from field: repeated llmgateway.v1.Tool tools = 4;
     */
    tools: Tool[];
    /**
     * @generated from field: llmgateway.v1.ToolChoice tool_choice = 5;
     */
    toolChoice?: ToolChoice | undefined;
    /**
     * @generated from field: llmgateway.v1.RoutingOptions routing = 6;
     */
    routing?: RoutingOptions | undefined;
    /**
     * @generated from field: llmgateway.v1.Attribution attribution = 7;
     */
    attribution?: Attribution | undefined;
    /**
     * Client-chosen UUID4 (AIP-155). Makes retries of the same request
     * idempotent within a dedupe window (no double charge) and is echoed in
     * responses, errors (google.rpc.RequestInfo) and cost records. A repeat
     * by the same tenant within the window (default 24 h) gets the first
     * call's answer (same response_id, usage and cost; streams replay as
     * streams); one that arrives while the first runs waits for it. The same
     * id with a different request is INVALID_ARGUMENT (BadRequest violation
     * on `request_id`, reason REQUEST_ID_REUSED). A failed or cut first call
     * does not count: its retry runs.
     *
     * @generated from field: string request_id = 8;
     */
    requestId: string;
};
/**
 * Describes the message llmgateway.v1.ChatRequest.
 * Use `create(ChatRequestSchema)` to create a new message.
 */
export declare const ChatRequestSchema: GenMessage<ChatRequest>;
/**
 * Unary chat response.
 *
 * @generated from message llmgateway.v1.ChatResponse
 */
export type ChatResponse = Message<"llmgateway.v1.ChatResponse"> & {
    /**
     * Gateway-assigned id (also in the `x-request-id` response header).
     *
     * @generated from field: string response_id = 1;
     */
    responseId: string;
    /**
     * Echo of ChatRequest.request_id, or a generated one.
     *
     * @generated from field: string request_id = 2;
     */
    requestId: string;
    /**
     * @generated from field: repeated llmgateway.v1.Candidate candidates = 3;
     */
    candidates: Candidate[];
    /**
     * @generated from field: llmgateway.v1.Usage usage = 4;
     */
    usage?: Usage | undefined;
    /**
     * @generated from field: llmgateway.v1.Cost cost = 5;
     */
    cost?: Cost | undefined;
    /**
     * @generated from field: llmgateway.v1.RouteInfo route = 6;
     */
    route?: RouteInfo | undefined;
    /**
     * @generated from field: google.protobuf.Timestamp create_time = 7;
     */
    createTime?: Timestamp | undefined;
};
/**
 * Describes the message llmgateway.v1.ChatResponse.
 * Use `create(ChatResponseSchema)` to create a new message.
 */
export declare const ChatResponseSchema: GenMessage<ChatResponse>;
/**
 * One generated alternative. Anchor: Gemini Candidate, OpenAI choices[].
 *
 * @generated from message llmgateway.v1.Candidate
 */
export type Candidate = Message<"llmgateway.v1.Candidate"> & {
    /**
     * @generated from field: int32 index = 1;
     */
    index: number;
    /**
     * role = ROLE_ASSISTANT; parts hold text, tool calls and reasoning.
     *
     * @generated from field: llmgateway.v1.Message message = 2;
     */
    message?: Message$1 | undefined;
    /**
     * @generated from field: llmgateway.v1.FinishReason finish_reason = 3;
     */
    finishReason: FinishReason;
    /**
     * The stop sequence that matched, if any (Anthropic stop_sequence).
     *
     * @generated from field: string stop_sequence = 4;
     */
    stopSequence: string;
    /**
     * Raw upstream finish/stop reason, for values the enum does not know yet.
     *
     * @generated from field: string backend_finish_reason = 5;
     */
    backendFinishReason: string;
};
/**
 * Describes the message llmgateway.v1.Candidate.
 * Use `create(CandidateSchema)` to create a new message.
 */
export declare const CandidateSchema: GenMessage<Candidate>;
/**
 * Streaming chat request.
 *
 * @generated from message llmgateway.v1.StreamChatRequest
 */
export type StreamChatRequest = Message<"llmgateway.v1.StreamChatRequest"> & {
    /**
     * @generated from field: llmgateway.v1.ChatRequest chat = 1;
     */
    chat?: ChatRequest | undefined;
    /**
     * @generated from field: llmgateway.v1.StreamOptions stream_options = 2;
     */
    streamOptions?: StreamOptions | undefined;
};
/**
 * Describes the message llmgateway.v1.StreamChatRequest.
 * Use `create(StreamChatRequestSchema)` to create a new message.
 */
export declare const StreamChatRequestSchema: GenMessage<StreamChatRequest>;
/**
 * Stream tuning.
 *
 * @generated from message llmgateway.v1.StreamOptions
 */
export type StreamOptions = Message<"llmgateway.v1.StreamOptions"> & {
    /**
     * Emit cumulative `usage` events while generating (OpenAI
     * stream_options.include_usage only gives a final chunk; Gemini sends
     * cumulative usage on chunks). The final event always carries usage.
     *
     * @generated from field: bool include_usage_updates = 1;
     */
    includeUsageUpdates: boolean;
    /**
     * Heartbeat period when no token is produced (long reasoning phases).
     * Unset = server default (15s). Anchor: Anthropic SSE `ping` events.
     *
     * @generated from field: google.protobuf.Duration heartbeat_interval = 2;
     */
    heartbeatInterval?: Duration | undefined;
};
/**
 * Describes the message llmgateway.v1.StreamOptions.
 * Use `create(StreamOptionsSchema)` to create a new message.
 */
export declare const StreamOptionsSchema: GenMessage<StreamOptions>;
/**
 * One streamed event; exactly one field of `event` is set.
 *
 * @generated from message llmgateway.v1.StreamChatResponse
 */
export type StreamChatResponse = Message<"llmgateway.v1.StreamChatResponse"> & {
    /**
     * @generated from oneof llmgateway.v1.StreamChatResponse.event
     */
    event: {
        /**
         * First event: ids and resolved route, sent before the first token.
         *
         * @generated from field: llmgateway.v1.StreamStart start = 1;
         */
        value: StreamStart;
        case: "start";
    } | {
        /**
         * Incremental content.
         *
         * @generated from field: llmgateway.v1.StreamDelta delta = 2;
         */
        value: StreamDelta;
        case: "delta";
    } | {
        /**
         * Cumulative usage so far (only if include_usage_updates).
         *
         * @generated from field: llmgateway.v1.UsageUpdate usage = 3;
         */
        value: UsageUpdate;
        case: "usage";
    } | {
        /**
         * Keep-alive; carries no content.
         *
         * @generated from field: llmgateway.v1.Heartbeat heartbeat = 4;
         */
        value: Heartbeat;
        case: "heartbeat";
    } | {
        /**
         * Last event on success: finish reasons, final usage and cost.
         *
         * @generated from field: llmgateway.v1.StreamFinal final = 5;
         */
        value: StreamFinal;
        case: "final";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message llmgateway.v1.StreamChatResponse.
 * Use `create(StreamChatResponseSchema)` to create a new message.
 */
export declare const StreamChatResponseSchema: GenMessage<StreamChatResponse>;
/**
 * Stream preamble. Anchor: Anthropic message_start.
 *
 * @generated from message llmgateway.v1.StreamStart
 */
export type StreamStart = Message<"llmgateway.v1.StreamStart"> & {
    /**
     * @generated from field: string response_id = 1;
     */
    responseId: string;
    /**
     * @generated from field: string request_id = 2;
     */
    requestId: string;
    /**
     * @generated from field: llmgateway.v1.RouteInfo route = 3;
     */
    route?: RouteInfo | undefined;
    /**
     * @generated from field: google.protobuf.Timestamp create_time = 4;
     */
    createTime?: Timestamp | undefined;
};
/**
 * Describes the message llmgateway.v1.StreamStart.
 * Use `create(StreamStartSchema)` to create a new message.
 */
export declare const StreamStartSchema: GenMessage<StreamStart>;
/**
 * Incremental content for one candidate. Anchor: OpenAI
 * choices[].delta, Anthropic content_block_delta (text_delta,
 * thinking_delta, signature_delta, input_json_delta).
 *
 * @generated from message llmgateway.v1.StreamDelta
 */
export type StreamDelta = Message<"llmgateway.v1.StreamDelta"> & {
    /**
     * @generated from field: int32 candidate_index = 1;
     */
    candidateIndex: number;
    /**
     * @generated from oneof llmgateway.v1.StreamDelta.content
     */
    content: {
        /**
         * @generated from field: string text = 2;
         */
        value: string;
        case: "text";
    } | {
        /**
         * @generated from field: string reasoning_text = 3;
         */
        value: string;
        case: "reasoningText";
    } | {
        /**
         * @generated from field: bytes reasoning_signature = 4;
         */
        value: Uint8Array;
        case: "reasoningSignature";
    } | {
        /**
         * @generated from field: llmgateway.v1.ToolCallDelta tool_call = 5;
         */
        value: ToolCallDelta;
        case: "toolCall";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message llmgateway.v1.StreamDelta.
 * Use `create(StreamDeltaSchema)` to create a new message.
 */
export declare const StreamDeltaSchema: GenMessage<StreamDelta>;
/**
 * Fragment of a tool call. Anchor: OpenAI ChatCompletionMessageToolCallChunk
 * (index, id, function.name, function.arguments) and Anthropic
 * input_json_delta.partial_json. Unlike OpenAI, the gateway repeats `index`
 * AND `id` on every fragment so parallel calls cannot be mis-assembled.
 *
 * @generated from message llmgateway.v1.ToolCallDelta
 */
export type ToolCallDelta = Message<"llmgateway.v1.ToolCallDelta"> & {
    /**
     * Position of this call within the candidate (stable across fragments).
     *
     * @generated from field: int32 index = 1;
     */
    index: number;
    /**
     * @generated from field: string id = 2;
     */
    id: string;
    /**
     * Set on the first fragment.
     *
     * @generated from field: string name = 3;
     */
    name: string;
    /**
     * Append to previous fragments; the concatenation is arguments_json.
     *
     * @generated from field: string arguments_json_fragment = 4;
     */
    argumentsJsonFragment: string;
};
/**
 * Describes the message llmgateway.v1.ToolCallDelta.
 * Use `create(ToolCallDeltaSchema)` to create a new message.
 */
export declare const ToolCallDeltaSchema: GenMessage<ToolCallDelta>;
/**
 * Interim usage.
 *
 * @generated from message llmgateway.v1.UsageUpdate
 */
export type UsageUpdate = Message<"llmgateway.v1.UsageUpdate"> & {
    /**
     * CUMULATIVE for the whole request so far — never a delta; consumers
     * must overwrite, not add (clients double-count otherwise).
     *
     * @generated from field: llmgateway.v1.Usage usage = 1;
     */
    usage?: Usage | undefined;
};
/**
 * Describes the message llmgateway.v1.UsageUpdate.
 * Use `create(UsageUpdateSchema)` to create a new message.
 */
export declare const UsageUpdateSchema: GenMessage<UsageUpdate>;
/**
 * Keep-alive event (idle proxies do not see HTTP/2 PINGs).
 *
 * @generated from message llmgateway.v1.Heartbeat
 */
export type Heartbeat = Message<"llmgateway.v1.Heartbeat"> & {};
/**
 * Describes the message llmgateway.v1.Heartbeat.
 * Use `create(HeartbeatSchema)` to create a new message.
 */
export declare const HeartbeatSchema: GenMessage<Heartbeat>;
/**
 * Stream epilogue. Anchor: Anthropic message_delta(stop_reason, usage) +
 * message_stop; OpenAI final chunk with finish_reason and usage.
 *
 * @generated from message llmgateway.v1.StreamFinal
 */
export type StreamFinal = Message<"llmgateway.v1.StreamFinal"> & {
    /**
     * @generated from field: repeated llmgateway.v1.CandidateFinish candidates = 1;
     */
    candidates: CandidateFinish[];
    /**
     * Authoritative totals for the request.
     *
     * @generated from field: llmgateway.v1.Usage usage = 2;
     */
    usage?: Usage | undefined;
    /**
     * @generated from field: llmgateway.v1.Cost cost = 3;
     */
    cost?: Cost | undefined;
    /**
     * Final route (may differ from StreamStart.route only in failed_backends
     * when a retry happened before the first token).
     *
     * @generated from field: llmgateway.v1.RouteInfo route = 4;
     */
    route?: RouteInfo | undefined;
};
/**
 * Describes the message llmgateway.v1.StreamFinal.
 * Use `create(StreamFinalSchema)` to create a new message.
 */
export declare const StreamFinalSchema: GenMessage<StreamFinal>;
/**
 * Per-candidate completion data.
 *
 * @generated from message llmgateway.v1.CandidateFinish
 */
export type CandidateFinish = Message<"llmgateway.v1.CandidateFinish"> & {
    /**
     * @generated from field: int32 index = 1;
     */
    index: number;
    /**
     * @generated from field: llmgateway.v1.FinishReason finish_reason = 2;
     */
    finishReason: FinishReason;
    /**
     * @generated from field: string stop_sequence = 3;
     */
    stopSequence: string;
    /**
     * @generated from field: string backend_finish_reason = 4;
     */
    backendFinishReason: string;
};
/**
 * Describes the message llmgateway.v1.CandidateFinish.
 * Use `create(CandidateFinishSchema)` to create a new message.
 */
export declare const CandidateFinishSchema: GenMessage<CandidateFinish>;
/**
 * Embedding request.
 *
 * @generated from message llmgateway.v1.EmbedRequest
 */
export type EmbedRequest = Message<"llmgateway.v1.EmbedRequest"> & {
    /**
     * Embedding model id or alias.
     *
     * @generated from field: string model = 1;
     */
    model: string;
    /**
     * Inputs, embedded independently; bounded by Model.max_batch_size.
     *
     * @generated from field: repeated llmgateway.v1.EmbedInput inputs = 2;
     */
    inputs: EmbedInput[];
    /**
     * Truncate to this many dimensions (Matryoshka models). Anchor: Gemini
     * output_dimensionality, OpenAI dimensions.
     *
     * @generated from field: optional int32 output_dimensionality = 3;
     */
    outputDimensionality?: number | undefined;
    /**
     * @generated from field: llmgateway.v1.EmbeddingTaskType task_type = 4;
     */
    taskType: EmbeddingTaskType;
    /**
     * @generated from field: llmgateway.v1.EmbeddingEncoding encoding = 5;
     */
    encoding: EmbeddingEncoding;
    /**
     * @generated from field: llmgateway.v1.RoutingOptions routing = 6;
     */
    routing?: RoutingOptions | undefined;
    /**
     * @generated from field: llmgateway.v1.Attribution attribution = 7;
     */
    attribution?: Attribution | undefined;
    /**
     * AIP-155 request id (see ChatRequest.request_id).
     *
     * @generated from field: string request_id = 8;
     */
    requestId: string;
};
/**
 * Describes the message llmgateway.v1.EmbedRequest.
 * Use `create(EmbedRequestSchema)` to create a new message.
 */
export declare const EmbedRequestSchema: GenMessage<EmbedRequest>;
/**
 * One embedding input.
 *
 * @generated from message llmgateway.v1.EmbedInput
 */
export type EmbedInput = Message<"llmgateway.v1.EmbedInput"> & {
    /**
     * @generated from oneof llmgateway.v1.EmbedInput.input
     */
    input: {
        /**
         * @generated from field: string text = 1;
         */
        value: string;
        case: "text";
    } | {
        /**
         * @generated from field: llmgateway.v1.Media media = 2;
         */
        value: Media;
        case: "media";
    } | {
        case: undefined;
        value?: undefined;
    };
    /**
     * Document title (Gemini, RETRIEVAL_DOCUMENT only).
     *
     * @generated from field: string title = 3;
     */
    title: string;
};
/**
 * Describes the message llmgateway.v1.EmbedInput.
 * Use `create(EmbedInputSchema)` to create a new message.
 */
export declare const EmbedInputSchema: GenMessage<EmbedInput>;
/**
 * Embedding response.
 *
 * @generated from message llmgateway.v1.EmbedResponse
 */
export type EmbedResponse = Message<"llmgateway.v1.EmbedResponse"> & {
    /**
     * @generated from field: string response_id = 1;
     */
    responseId: string;
    /**
     * Same order and count as EmbedRequest.inputs.
     *
     * @generated from field: repeated llmgateway.v1.Embedding embeddings = 2;
     */
    embeddings: Embedding[];
    /**
     * Vector length (after output_dimensionality).
     *
     * @generated from field: int32 dimension_count = 3;
     */
    dimensionCount: number;
    /**
     * @generated from field: llmgateway.v1.EmbeddingEncoding encoding = 4;
     */
    encoding: EmbeddingEncoding;
    /**
     * @generated from field: llmgateway.v1.Usage usage = 5;
     */
    usage?: Usage | undefined;
    /**
     * @generated from field: llmgateway.v1.Cost cost = 6;
     */
    cost?: Cost | undefined;
    /**
     * @generated from field: llmgateway.v1.RouteInfo route = 7;
     */
    route?: RouteInfo | undefined;
};
/**
 * Describes the message llmgateway.v1.EmbedResponse.
 * Use `create(EmbedResponseSchema)` to create a new message.
 */
export declare const EmbedResponseSchema: GenMessage<EmbedResponse>;
/**
 * One vector.
 *
 * @generated from message llmgateway.v1.Embedding
 */
export type Embedding = Message<"llmgateway.v1.Embedding"> & {
    /**
     * Index into EmbedRequest.inputs.
     *
     * @generated from field: int32 index = 1;
     */
    index: number;
    /**
     * A oneof cannot hold a repeated field (the KServe
     * InferTensorContents comment), hence the FloatVector wrapper.
     *
     * @generated from oneof llmgateway.v1.Embedding.values
     */
    values: {
        /**
         * @generated from field: llmgateway.v1.FloatVector float_values = 2;
         */
        value: FloatVector;
        case: "floatValues";
    } | {
        /**
         * @generated from field: bytes packed_values = 3;
         */
        value: Uint8Array;
        case: "packedValues";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message llmgateway.v1.Embedding.
 * Use `create(EmbeddingSchema)` to create a new message.
 */
export declare const EmbeddingSchema: GenMessage<Embedding>;
/**
 * Packed float32 vector.
 *
 * @generated from message llmgateway.v1.FloatVector
 */
export type FloatVector = Message<"llmgateway.v1.FloatVector"> & {
    /**
     * @generated from field: repeated float values = 1;
     */
    values: number[];
};
/**
 * Describes the message llmgateway.v1.FloatVector.
 * Use `create(FloatVectorSchema)` to create a new message.
 */
export declare const FloatVectorSchema: GenMessage<FloatVector>;
/**
 * Token counting request.
 *
 * @generated from message llmgateway.v1.CountTokensRequest
 */
export type CountTokensRequest = Message<"llmgateway.v1.CountTokensRequest"> & {
    /**
     * The request that would be sent; generation is not performed.
     *
     * @generated from field: llmgateway.v1.ChatRequest chat = 1;
     */
    chat?: ChatRequest | undefined;
};
/**
 * Describes the message llmgateway.v1.CountTokensRequest.
 * Use `create(CountTokensRequestSchema)` to create a new message.
 */
export declare const CountTokensRequestSchema: GenMessage<CountTokensRequest>;
/**
 * Token counting response.
 *
 * @generated from message llmgateway.v1.CountTokensResponse
 */
export type CountTokensResponse = Message<"llmgateway.v1.CountTokensResponse"> & {
    /**
     * @generated from field: int32 input_token_count = 1;
     */
    inputTokenCount: number;
    /**
     * Model the alias resolved to (counts are tokenizer-specific).
     *
     * @generated from field: string model = 2;
     */
    model: string;
    /**
     * Estimated input cost at current prices.
     *
     * @generated from field: google.type.Money estimated_input_cost = 3;
     */
    estimatedInputCost?: Money | undefined;
    /**
     * False when input_token_count comes from the model's own tokenizer (the
     * backend's counting endpoint, or OpenAI's BPE counted locally); true when
     * it is the gateway's script-aware upper bound (never below the real count
     * for natural text of any script; README "Token counts").
     *
     * @generated from field: bool estimated = 4;
     */
    estimated: boolean;
};
/**
 * Describes the message llmgateway.v1.CountTokensResponse.
 * Use `create(CountTokensResponseSchema)` to create a new message.
 */
export declare const CountTokensResponseSchema: GenMessage<CountTokensResponse>;
/**
 * List request (AIP-158).
 *
 * @generated from message llmgateway.v1.ListModelsRequest
 */
export type ListModelsRequest = Message<"llmgateway.v1.ListModelsRequest"> & {
    /**
     * Max results; 0 = server default (50), capped at 1000.
     *
     * @generated from field: int32 page_size = 1;
     */
    pageSize: number;
    /**
     * @generated from field: string page_token = 2;
     */
    pageToken: string;
    /**
     * @generated from field: llmgateway.v1.ModelView view = 3;
     */
    view: ModelView;
    /**
     * AIP-160 subset: `key = value` terms joined by AND. Keys: type
     * (MODEL_TYPE_CHAT or chat, ...), capability (CAPABILITY_TOOLS or tools, ...),
     * backend, alias, simulated (true|false). E.g.
     * `type = MODEL_TYPE_CHAT AND capability = tools`.
     *
     * @generated from field: string filter = 4;
     */
    filter: string;
};
/**
 * Describes the message llmgateway.v1.ListModelsRequest.
 * Use `create(ListModelsRequestSchema)` to create a new message.
 */
export declare const ListModelsRequestSchema: GenMessage<ListModelsRequest>;
/**
 * List response.
 *
 * @generated from message llmgateway.v1.ListModelsResponse
 */
export type ListModelsResponse = Message<"llmgateway.v1.ListModelsResponse"> & {
    /**
     * @generated from field: repeated llmgateway.v1.Model models = 1;
     */
    models: Model[];
    /**
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
};
/**
 * Describes the message llmgateway.v1.ListModelsResponse.
 * Use `create(ListModelsResponseSchema)` to create a new message.
 */
export declare const ListModelsResponseSchema: GenMessage<ListModelsResponse>;
/**
 * A servable model as seen by callers. Anchor: Gemini Model
 * (input_token_limit/output_token_limit), Anthropic ModelInfo, OpenAI Model.
 *
 * @generated from message llmgateway.v1.Model
 */
export type Model = Message<"llmgateway.v1.Model"> & {
    /**
     * Value to put in ChatRequest.model / EmbedRequest.model.
     *
     * @generated from field: string id = 1;
     */
    id: string;
    /**
     * @generated from field: string display_name = 2;
     */
    displayName: string;
    /**
     * @generated from field: llmgateway.v1.ModelType type = 3;
     */
    type: ModelType;
    /**
     * Aliases that currently resolve (at least partly) to this model.
     *
     * @generated from field: repeated string aliases = 4;
     */
    aliases: string[];
    /**
     * @generated from field: repeated llmgateway.v1.Capability capabilities = 5;
     */
    capabilities: Capability[];
    /**
     * @generated from field: int32 input_token_limit = 6;
     */
    inputTokenLimit: number;
    /**
     * @generated from field: int32 output_token_limit = 7;
     */
    outputTokenLimit: number;
    /**
     * Embedding models: max inputs per EmbedRequest.
     *
     * @generated from field: int32 max_batch_size = 8;
     */
    maxBatchSize: number;
    /**
     * @generated from field: llmgateway.v1.Pricing pricing = 9;
     */
    pricing?: Pricing | undefined;
    /**
     * FULL view only: "backends/{backend}" currently serving it.
     *
     * @generated from field: repeated string backends = 10;
     */
    backends: string[];
    /**
     * True for the built-in demo backend's models: their answers are canned and
     * no real model is called. Shown in every view so nobody mistakes them.
     *
     * @generated from field: bool simulated = 11;
     */
    simulated: boolean;
};
/**
 * Describes the message llmgateway.v1.Model.
 * Use `create(ModelSchema)` to create a new message.
 */
export declare const ModelSchema: GenMessage<Model>;
/**
 * Price table entry. Per million tokens, so cheap prices stay exact
 * (e.g. $0.02/M tokens is 20,000,000 nanos, but 0.02 micro-dollars/token).
 *
 * @generated from message llmgateway.v1.Pricing
 */
export type Pricing = Message<"llmgateway.v1.Pricing"> & {
    /**
     * @generated from field: google.type.Money input_per_million_tokens = 1;
     */
    inputPerMillionTokens?: Money | undefined;
    /**
     * @generated from field: google.type.Money output_per_million_tokens = 2;
     */
    outputPerMillionTokens?: Money | undefined;
    /**
     * @generated from field: google.type.Money cached_input_per_million_tokens = 3;
     */
    cachedInputPerMillionTokens?: Money | undefined;
    /**
     * @generated from field: string pricing_version = 4;
     */
    pricingVersion: string;
};
/**
 * Describes the message llmgateway.v1.Pricing.
 * Use `create(PricingSchema)` to create a new message.
 */
export declare const PricingSchema: GenMessage<Pricing>;
/**
 * Task hint for embeddings. Anchor: Gemini TaskType.
 *
 * @generated from enum llmgateway.v1.EmbeddingTaskType
 */
export declare enum EmbeddingTaskType {
    /**
     * @generated from enum value: EMBEDDING_TASK_TYPE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: EMBEDDING_TASK_TYPE_RETRIEVAL_QUERY = 1;
     */
    RETRIEVAL_QUERY = 1,
    /**
     * @generated from enum value: EMBEDDING_TASK_TYPE_RETRIEVAL_DOCUMENT = 2;
     */
    RETRIEVAL_DOCUMENT = 2,
    /**
     * @generated from enum value: EMBEDDING_TASK_TYPE_SEMANTIC_SIMILARITY = 3;
     */
    SEMANTIC_SIMILARITY = 3,
    /**
     * @generated from enum value: EMBEDDING_TASK_TYPE_CLASSIFICATION = 4;
     */
    CLASSIFICATION = 4,
    /**
     * @generated from enum value: EMBEDDING_TASK_TYPE_CLUSTERING = 5;
     */
    CLUSTERING = 5
}
/**
 * Describes the enum llmgateway.v1.EmbeddingTaskType.
 */
export declare const EmbeddingTaskTypeSchema: GenEnum<EmbeddingTaskType>;
/**
 * Wire encoding of embedding vectors. Anchor: OpenAI encoding_format
 * (float|base64), KServe/Triton raw_output_contents.
 *
 * @generated from enum llmgateway.v1.EmbeddingEncoding
 */
export declare enum EmbeddingEncoding {
    /**
     * Same as FLOAT.
     *
     * @generated from enum value: EMBEDDING_ENCODING_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Embedding.float_values (packed repeated float). Easiest for
     * grpcurl/Go/TS.
     *
     * @generated from enum value: EMBEDDING_ENCODING_FLOAT = 1;
     */
    FLOAT = 1,
    /**
     * Embedding.packed_values, little-endian IEEE-754 float32. Same wire size
     * as FLOAT but zero-copy into numpy (np.frombuffer) in Python.
     *
     * @generated from enum value: EMBEDDING_ENCODING_FLOAT32_BYTES = 2;
     */
    FLOAT32_BYTES = 2,
    /**
     * Little-endian float16 in packed_values: half the size.
     *
     * @generated from enum value: EMBEDDING_ENCODING_FLOAT16_BYTES = 3;
     */
    FLOAT16_BYTES = 3
}
/**
 * Describes the enum llmgateway.v1.EmbeddingEncoding.
 */
export declare const EmbeddingEncodingSchema: GenEnum<EmbeddingEncoding>;
/**
 * How much of a Model to return (AIP-157 partial responses).
 *
 * @generated from enum llmgateway.v1.ModelView
 */
export declare enum ModelView {
    /**
     * Same as BASIC.
     *
     * @generated from enum value: MODEL_VIEW_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * What a caller needs to choose a model: names, type, aliases, capabilities,
     * token limits, pricing.
     *
     * @generated from enum value: MODEL_VIEW_BASIC = 1;
     */
    BASIC = 1,
    /**
     * Adds backend placement; needs admin scope (else PERMISSION_DENIED).
     *
     * @generated from enum value: MODEL_VIEW_FULL = 2;
     */
    FULL = 2
}
/**
 * Describes the enum llmgateway.v1.ModelView.
 */
export declare const ModelViewSchema: GenEnum<ModelView>;
/**
 * Kind of model.
 *
 * @generated from enum llmgateway.v1.ModelType
 */
export declare enum ModelType {
    /**
     * @generated from enum value: MODEL_TYPE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: MODEL_TYPE_CHAT = 1;
     */
    CHAT = 1,
    /**
     * @generated from enum value: MODEL_TYPE_EMBEDDING = 2;
     */
    EMBEDDING = 2
}
/**
 * Describes the enum llmgateway.v1.ModelType.
 */
export declare const ModelTypeSchema: GenEnum<ModelType>;
/**
 * Data plane: what applications call. Exposed on the public listener.
 * Health is NOT redefined here: the server also registers the standard
 * grpc.health.v1.Health service (Kubernetes gRPC probes, grpc_health_probe).
 *
 * @generated from service llmgateway.v1.GatewayService
 */
export declare const GatewayService: GenService<{
    /**
     * Unary chat completion. Anchor: Gemini GenerateContent, OpenAI
     * chat.completions (stream=false), Anthropic messages.create.
     *
     * @generated from rpc llmgateway.v1.GatewayService.Chat
     */
    chat: {
        methodKind: "unary";
        input: typeof ChatRequestSchema;
        output: typeof ChatResponseSchema;
    };
    /**
     * Server-streaming chat. Exactly one `start`, then deltas/usage/heartbeats,
     * then exactly one `final` followed by status OK; on failure the stream
     * ends with a non-OK status instead of `final`.
     * Anchor: Gemini StreamGenerateContent (server-streaming, same input),
     * Anthropic message_start/content_block_delta/message_delta/message_stop.
     *
     * @generated from rpc llmgateway.v1.GatewayService.StreamChat
     */
    streamChat: {
        methodKind: "server_streaming";
        input: typeof StreamChatRequestSchema;
        output: typeof StreamChatResponseSchema;
    };
    /**
     * Batch embeddings. Anchor: Gemini BatchEmbedContents, OpenAI embeddings.
     *
     * @generated from rpc llmgateway.v1.GatewayService.Embed
     */
    embed: {
        methodKind: "unary";
        input: typeof EmbedRequestSchema;
        output: typeof EmbedResponseSchema;
    };
    /**
     * Token count + cost estimate without generating. Anchor: Gemini
     * CountTokens, Anthropic count_tokens.
     *
     * @generated from rpc llmgateway.v1.GatewayService.CountTokens
     */
    countTokens: {
        methodKind: "unary";
        input: typeof CountTokensRequestSchema;
        output: typeof CountTokensResponseSchema;
    };
    /**
     * Models and aliases visible to the caller (paginated, AIP-158).
     * Anchor: Gemini ListModels, OpenAI GET /v1/models.
     *
     * @generated from rpc llmgateway.v1.GatewayService.ListModels
     */
    listModels: {
        methodKind: "unary";
        input: typeof ListModelsRequestSchema;
        output: typeof ListModelsResponseSchema;
    };
}>;
