// The llmgateway.v1 TypeScript package with Connect (gRPC protocol) from Node:
// unary Chat, StreamChat read to its final event, cancelling a stream, a
// deadline, the API key as metadata and google.rpc.Status details decoded.
//
//   LLMGW_ADDRESS=127.0.0.1:50051 LLMGW_API_KEY=... LLMGW_MODEL=chat-default \
//     node dist/examples/chat.js
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import {
  ChatRequestSchema,
  GatewayService,
  Role,
  createGatewayTransport,
  gatewayErrorDetails,
  type ChatRequest,
} from "../index.js";

const model = process.env.LLMGW_MODEL ?? "demo-chat";
const transport = createGatewayTransport({
  address: process.env.LLMGW_ADDRESS ?? "127.0.0.1:50051",
  apiKey: process.env.LLMGW_API_KEY, // sent as `authorization: Bearer ...`
  defaultTimeoutMs: 60_000,
});
const client = createClient(GatewayService, transport);

function request(text: string, name = model): ChatRequest {
  return create(ChatRequestSchema, {
    model: name,
    messages: [{ role: Role.USER, parts: [{ kind: { case: "text", value: text } }] }],
  });
}

function describe(error: unknown): void {
  const err = ConnectError.from(error);
  const details = gatewayErrorDetails(err);
  console.log(`error: ${Code[err.code]} ${err.rawMessage}`);
  if (details.errorInfo) console.log(`  reason ${details.errorInfo.reason}`);
  if (details.retryDelayMs !== undefined) console.log(`  retry after ${details.retryDelayMs} ms`);
  for (const v of details.violations) console.log(`  bad field ${v.field}: ${v.description}`);
}

// Unary Chat with a 30 s deadline.
const reply = await client.chat(request("Say hello"), { timeoutMs: 30_000 });
const first = reply.candidates[0]?.message?.parts[0]?.kind;
console.log(`chat: ${first?.case === "text" ? first.value : ""}`);

// StreamChat, read to its final event.
let text = "";
for await (const event of client.streamChat({ chat: request("Say hello") })) {
  if (event.event.case === "delta" && event.event.value.content.case === "text") {
    text += event.event.value.content.value;
  } else if (event.event.case === "final") {
    const total = event.event.value.cost?.total;
    console.log(`stream: ${text}`);
    console.log(
      `final: ${event.event.value.usage?.outputTokenCount} output tokens, ` +
        `cost ${total?.currencyCode} ${total?.units}.${String(total?.nanos ?? 0).padStart(9, "0")}`,
    );
  }
}

// Cancelling a stream: abort its signal; the gateway stops the upstream.
const abort = new AbortController();
try {
  for await (const event of client.streamChat({ chat: request("Count to 1000") }, { signal: abort.signal })) {
    if (event.event.case === "delta") abort.abort();
  }
} catch (error) {
  console.log(`after cancel: ${Code[ConnectError.from(error).code]}`);
}

// A typo'd model: NOT_FOUND with ErrorInfo reason MODEL_NOT_FOUND.
try {
  await client.chat(request("hi", `${model}-typo`));
} catch (error) {
  describe(error);
}
transport.close();
