import type { GenEnum, GenFile, GenMessage } from "@bufbuild/protobuf/codegenv2";
import type { Message as Message$1 } from "@bufbuild/protobuf";
/**
 * Describes the file llmgateway/v1/content.proto.
 */
export declare const file_llmgateway_v1_content: GenFile;
/**
 * One conversational turn: a role plus ordered, typed parts.
 * Anchor: Gemini Content{role, parts} and Anthropic content blocks. Parts are
 * a superset of OpenAI's message shape: assistant tool calls and tool results
 * are parts too, so text and tool calls can interleave (Anthropic/Gemini).
 *
 * @generated from message llmgateway.v1.Message
 */
export type Message = Message$1<"llmgateway.v1.Message"> & {
    /**
     * @generated from field: llmgateway.v1.Role role = 1;
     */
    role: Role;
    /**
     * @generated from field: repeated llmgateway.v1.Part parts = 2;
     */
    parts: Part[];
    /**
     * Optional participant name (OpenAI `name`); dropped for backends that
     * have no such field.
     *
     * @generated from field: string name = 3;
     */
    name: string;
};
/**
 * Describes the message llmgateway.v1.Message.
 * Use `create(MessageSchema)` to create a new message.
 */
export declare const MessageSchema: GenMessage<Message>;
/**
 * A single piece of content. Anchor: Gemini Part `oneof data`.
 *
 * @generated from message llmgateway.v1.Part
 */
export type Part = Message$1<"llmgateway.v1.Part"> & {
    /**
     * @generated from oneof llmgateway.v1.Part.kind
     */
    kind: {
        /**
         * Plain UTF-8 text.
         *
         * @generated from field: string text = 1;
         */
        value: string;
        case: "text";
    } | {
        /**
         * Image, audio or document, inline bytes or by URI.
         *
         * @generated from field: llmgateway.v1.Media media = 2;
         */
        value: Media;
        case: "media";
    } | {
        /**
         * A tool invocation produced by the model (assistant turns only).
         *
         * @generated from field: llmgateway.v1.ToolCall tool_call = 3;
         */
        value: ToolCall;
        case: "toolCall";
    } | {
        /**
         * The caller's answer to a ToolCall (ROLE_TOOL turns only).
         *
         * @generated from field: llmgateway.v1.ToolResult tool_result = 4;
         */
        value: ToolResult;
        case: "toolResult";
    } | {
        /**
         * Model reasoning ("thinking") that must be echoed back on later turns.
         *
         * @generated from field: llmgateway.v1.Reasoning reasoning = 5;
         */
        value: Reasoning;
        case: "reasoning";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message llmgateway.v1.Part.
 * Use `create(PartSchema)` to create a new message.
 */
export declare const PartSchema: GenMessage<Part>;
/**
 * Non-text input. Anchor: Gemini Blob/FileData, OpenAI image_url,
 * Anthropic image/document source. Raw `bytes`, not base64: protobuf needs
 * no text-safe encoding, which saves a third of the wire size.
 *
 * @generated from message llmgateway.v1.Media
 */
export type Media = Message$1<"llmgateway.v1.Media"> & {
    /**
     * IANA media type, e.g. "image/png", "application/pdf" (AIP-143).
     *
     * @generated from field: string mime_type = 1;
     */
    mimeType: string;
    /**
     * @generated from oneof llmgateway.v1.Media.source
     */
    source: {
        /**
         * Inline content. Counts against the gRPC max message size (4 MiB
         * default receive limit on most stacks).
         *
         * @generated from field: bytes data = 2;
         */
        value: Uint8Array;
        case: "data";
    } | {
        /**
         * https:// or gs:// or s3:// URI the backend (or gateway) can fetch.
         *
         * @generated from field: string uri = 3;
         */
        value: string;
        case: "uri";
    } | {
        case: undefined;
        value?: undefined;
    };
    /**
     * @generated from field: llmgateway.v1.Media.Detail detail = 4;
     */
    detail: Media_Detail;
};
/**
 * Describes the message llmgateway.v1.Media.
 * Use `create(MediaSchema)` to create a new message.
 */
export declare const MediaSchema: GenMessage<Media>;
/**
 * Resolution hint for images. Anchor: OpenAI image_url.detail, Gemini
 * media_resolution.
 *
 * @generated from enum llmgateway.v1.Media.Detail
 */
export declare enum Media_Detail {
    /**
     * @generated from enum value: DETAIL_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: DETAIL_LOW = 1;
     */
    LOW = 1,
    /**
     * @generated from enum value: DETAIL_HIGH = 2;
     */
    HIGH = 2
}
/**
 * Describes the enum llmgateway.v1.Media.Detail.
 */
export declare const Media_DetailSchema: GenEnum<Media_Detail>;
/**
 * A function call emitted by the model.
 * Anchor: OpenAI tool_calls[].function (arguments as a JSON *string*).
 * Not google.protobuf.Struct (Gemini FunctionCall.args): Struct stores every
 * number as a double and has no key order.
 *
 * @generated from message llmgateway.v1.ToolCall
 */
export type ToolCall = Message$1<"llmgateway.v1.ToolCall"> & {
    /**
     * Unique within the response; echo it in ToolResult.tool_call_id. The
     * gateway synthesises one for backends that do not return ids.
     *
     * @generated from field: string id = 1;
     */
    id: string;
    /**
     * Function name; matches FunctionDeclaration.name.
     *
     * @generated from field: string name = 2;
     */
    name: string;
    /**
     * Arguments as UTF-8 JSON object text, exactly as generated. It may be
     * invalid JSON: validate before executing.
     *
     * @generated from field: string arguments_json = 3;
     */
    argumentsJson: string;
};
/**
 * Describes the message llmgateway.v1.ToolCall.
 * Use `create(ToolCallSchema)` to create a new message.
 */
export declare const ToolCallSchema: GenMessage<ToolCall>;
/**
 * The result of executing a ToolCall.
 * Anchor: Anthropic tool_result (content blocks + is_error); Gemini
 * FunctionResponse also needs `name`.
 *
 * @generated from message llmgateway.v1.ToolResult
 */
export type ToolResult = Message$1<"llmgateway.v1.ToolResult"> & {
    /**
     * @generated from field: string tool_call_id = 1;
     */
    toolCallId: string;
    /**
     * Name of the function that was called (required by Gemini).
     *
     * @generated from field: string name = 2;
     */
    name: string;
    /**
     * Result content; only `text` and `media` parts are allowed here.
     *
     * @generated from field: repeated llmgateway.v1.Part content = 3;
     */
    content: Part[];
    /**
     * True if the tool failed; the model sees the content as an error.
     *
     * @generated from field: bool is_error = 4;
     */
    isError: boolean;
};
/**
 * Describes the message llmgateway.v1.ToolResult.
 * Use `create(ToolResultSchema)` to create a new message.
 */
export declare const ToolResultSchema: GenMessage<ToolResult>;
/**
 * Reasoning content. Anchor: Anthropic thinking/redacted_thinking blocks with
 * `signature`; Gemini Part.thought + thought_signature.
 *
 * @generated from message llmgateway.v1.Reasoning
 */
export type Reasoning = Message$1<"llmgateway.v1.Reasoning"> & {
    /**
     * Visible (possibly summarised) reasoning text.
     *
     * @generated from field: string text = 1;
     */
    text: string;
    /**
     * Opaque provider signature; send it back unchanged in the next turn.
     *
     * @generated from field: bytes signature = 2;
     */
    signature: Uint8Array;
    /**
     * True when the provider returned encrypted/redacted reasoning.
     *
     * @generated from field: bool redacted = 3;
     */
    redacted: boolean;
};
/**
 * Describes the message llmgateway.v1.Reasoning.
 * Use `create(ReasoningSchema)` to create a new message.
 */
export declare const ReasoningSchema: GenMessage<Reasoning>;
/**
 * A tool the model may call.
 *
 * @generated from message llmgateway.v1.Tool
 */
export type Tool = Message$1<"llmgateway.v1.Tool"> & {
    /**
     * @generated from oneof llmgateway.v1.Tool.kind
     */
    kind: {
        /**
         * @generated from field: llmgateway.v1.FunctionDeclaration function = 1;
         */
        value: FunctionDeclaration;
        case: "function";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message llmgateway.v1.Tool.
 * Use `create(ToolSchema)` to create a new message.
 */
export declare const ToolSchema: GenMessage<Tool>;
/**
 * Function schema. Anchor: OpenAI FunctionObject{name, description,
 * parameters, strict}; Anthropic tool{name, description, input_schema};
 * Gemini FunctionDeclaration.parameters_json_schema.
 *
 * @generated from message llmgateway.v1.FunctionDeclaration
 */
export type FunctionDeclaration = Message$1<"llmgateway.v1.FunctionDeclaration"> & {
    /**
     * a-z, A-Z, 0-9, '_' and '-', max 64 chars (the strictest provider rule).
     *
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * @generated from field: string description = 2;
     */
    description: string;
    /**
     * JSON Schema (draft 2020-12 subset) for the arguments object, as JSON
     * text. Text keeps property order and integer-ness exactly.
     *
     * @generated from field: string parameters_json_schema = 3;
     */
    parametersJsonSchema: string;
    /**
     * Ask for strict schema adherence (OpenAI/Anthropic `strict`).
     *
     * @generated from field: bool strict = 4;
     */
    strict: boolean;
};
/**
 * Describes the message llmgateway.v1.FunctionDeclaration.
 * Use `create(FunctionDeclarationSchema)` to create a new message.
 */
export declare const FunctionDeclarationSchema: GenMessage<FunctionDeclaration>;
/**
 * How the model may use tools.
 * Anchor: OpenAI tool_choice (none/auto/required/named), Anthropic
 * tool_choice (auto/any/tool/none), Gemini FunctionCallingConfig
 * (AUTO/ANY/NONE + allowed_function_names).
 *
 * @generated from message llmgateway.v1.ToolChoice
 */
export type ToolChoice = Message$1<"llmgateway.v1.ToolChoice"> & {
    /**
     * @generated from field: llmgateway.v1.ToolChoice.Mode mode = 1;
     */
    mode: ToolChoice_Mode;
    /**
     * Restrict calls to these functions (one name = OpenAI named choice).
     *
     * @generated from field: repeated string allowed_function_names = 2;
     */
    allowedFunctionNames: string[];
    /**
     * Allow several calls in one turn (OpenAI parallel_tool_calls, inverse of
     * Anthropic disable_parallel_tool_use). Unset = backend default.
     *
     * @generated from field: optional bool parallel_tool_calls = 3;
     */
    parallelToolCalls?: boolean | undefined;
};
/**
 * Describes the message llmgateway.v1.ToolChoice.
 * Use `create(ToolChoiceSchema)` to create a new message.
 */
export declare const ToolChoiceSchema: GenMessage<ToolChoice>;
/**
 * Tool-use mode.
 *
 * @generated from enum llmgateway.v1.ToolChoice.Mode
 */
export declare enum ToolChoice_Mode {
    /**
     * Backend default (usually AUTO).
     *
     * @generated from enum value: MODE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * @generated from enum value: MODE_AUTO = 1;
     */
    AUTO = 1,
    /**
     * @generated from enum value: MODE_NONE = 2;
     */
    NONE = 2,
    /**
     * Must call at least one tool (OpenAI "required", Anthropic "any",
     * Gemini ANY).
     *
     * @generated from enum value: MODE_REQUIRED = 3;
     */
    REQUIRED = 3
}
/**
 * Describes the enum llmgateway.v1.ToolChoice.Mode.
 */
export declare const ToolChoice_ModeSchema: GenEnum<ToolChoice_Mode>;
/**
 * Output format constraint.
 * Anchor: OpenAI response_format {text | json_object | json_schema};
 * vLLM/SGLang gRPC SamplingParams `oneof constraint` for regex/grammar.
 *
 * @generated from message llmgateway.v1.ResponseFormat
 */
export type ResponseFormat = Message$1<"llmgateway.v1.ResponseFormat"> & {
    /**
     * @generated from oneof llmgateway.v1.ResponseFormat.format
     */
    format: {
        /**
         * @generated from field: llmgateway.v1.TextFormat text = 1;
         */
        value: TextFormat;
        case: "text";
    } | {
        /**
         * @generated from field: llmgateway.v1.JsonObjectFormat json_object = 2;
         */
        value: JsonObjectFormat;
        case: "jsonObject";
    } | {
        /**
         * @generated from field: llmgateway.v1.JsonSchemaFormat json_schema = 3;
         */
        value: JsonSchemaFormat;
        case: "jsonSchema";
    } | {
        /**
         * Regular expression the output must match (guided decoding; needs
         * CAPABILITY_GUIDED_DECODING, i.e. vLLM/SGLang/TGI backends).
         *
         * @generated from field: string regex = 4;
         */
        value: string;
        case: "regex";
    } | {
        /**
         * EBNF/GBNF grammar (guided decoding).
         *
         * @generated from field: string ebnf_grammar = 5;
         */
        value: string;
        case: "ebnfGrammar";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message llmgateway.v1.ResponseFormat.
 * Use `create(ResponseFormatSchema)` to create a new message.
 */
export declare const ResponseFormatSchema: GenMessage<ResponseFormat>;
/**
 * Free text (default).
 *
 * @generated from message llmgateway.v1.TextFormat
 */
export type TextFormat = Message$1<"llmgateway.v1.TextFormat"> & {};
/**
 * Describes the message llmgateway.v1.TextFormat.
 * Use `create(TextFormatSchema)` to create a new message.
 */
export declare const TextFormatSchema: GenMessage<TextFormat>;
/**
 * Any syntactically valid JSON object.
 *
 * @generated from message llmgateway.v1.JsonObjectFormat
 */
export type JsonObjectFormat = Message$1<"llmgateway.v1.JsonObjectFormat"> & {};
/**
 * Describes the message llmgateway.v1.JsonObjectFormat.
 * Use `create(JsonObjectFormatSchema)` to create a new message.
 */
export declare const JsonObjectFormatSchema: GenMessage<JsonObjectFormat>;
/**
 * Structured output. Anchor: OpenAI json_schema{name, description, schema,
 * strict}; Gemini response_json_schema; Anthropic output_config.format.
 *
 * @generated from message llmgateway.v1.JsonSchemaFormat
 */
export type JsonSchemaFormat = Message$1<"llmgateway.v1.JsonSchemaFormat"> & {
    /**
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * @generated from field: string description = 2;
     */
    description: string;
    /**
     * JSON Schema as JSON text (see FunctionDeclaration for why not Struct).
     *
     * @generated from field: string schema_json = 3;
     */
    schemaJson: string;
    /**
     * @generated from field: bool strict = 4;
     */
    strict: boolean;
};
/**
 * Describes the message llmgateway.v1.JsonSchemaFormat.
 * Use `create(JsonSchemaFormatSchema)` to create a new message.
 */
export declare const JsonSchemaFormatSchema: GenMessage<JsonSchemaFormat>;
/**
 * Author of a Message.
 * Anchor: OpenAI chat roles. Gemini uses a free-form string ("user"/"model")
 * plus a separate system_instruction; Anthropic uses a top-level `system`.
 * A closed enum is self-documenting in Go/TS stubs and lint-checkable.
 *
 * @generated from enum llmgateway.v1.Role
 */
export declare enum Role {
    /**
     * @generated from enum value: ROLE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * System/developer instructions. Must precede every non-system message;
     * the gateway hoists them into Anthropic `system` / Gemini
     * `system_instruction`, and sends them as `developer` to OpenAI reasoning
     * models.
     *
     * @generated from enum value: ROLE_SYSTEM = 1;
     */
    SYSTEM = 1,
    /**
     * @generated from enum value: ROLE_USER = 2;
     */
    USER = 2,
    /**
     * @generated from enum value: ROLE_ASSISTANT = 3;
     */
    ASSISTANT = 3,
    /**
     * Carries ToolResult parts answering earlier ToolCall parts.
     * (OpenAI role "tool"; sent as a user turn to Anthropic and Gemini.)
     *
     * @generated from enum value: ROLE_TOOL = 4;
     */
    TOOL = 4
}
/**
 * Describes the enum llmgateway.v1.Role.
 */
export declare const RoleSchema: GenEnum<Role>;
