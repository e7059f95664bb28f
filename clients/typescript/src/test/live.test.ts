// The client scenarios of tests/clients against a live gateway, with Node's
// built-in test runner; driven by tests/clients/test_ts_client.py (env below).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import {
  ChatRequestSchema,
  GatewayService,
  Health,
  HealthCheckRequestSchema,
  Role,
  ServingStatus,
  createGatewayTransport,
  gatewayErrorDetails,
  type ChatRequest,
  type StreamFinal,
} from "../index.js";

const env = (name: string): string => {
  const value = process.env[name];
  assert.ok(value, `${name} is not set`);
  return value;
};
const address = env("LLMGW_ADDRESS");
const model = env("LLMGW_MODEL");
const expectText = env("LLMGW_EXPECT_TEXT");
const transports = [
  createGatewayTransport({ address, apiKey: env("LLMGW_API_KEY") }),
  createGatewayTransport({ address }),
];
const client = createClient(GatewayService, transports[0]);
const anonymous = createClient(GatewayService, transports[1]);
after(() => transports.forEach((t) => t.close()));

function request(name: string, text = "hi"): ChatRequest {
  return create(ChatRequestSchema, {
    model: name,
    messages: [{ role: Role.USER, parts: [{ kind: { case: "text", value: text } }] }],
  });
}

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("the call succeeded");
}

test("health", async () => {
  const health = createClient(Health, transports[1]);
  for (const service of ["", "liveness", "readiness", "llmgateway.v1.GatewayService"]) {
    const reply = await health.check(create(HealthCheckRequestSchema, { service }), {
      timeoutMs: 5000,
    });
    assert.equal(reply.status, ServingStatus.SERVING, service);
  }
});

test("chat", async () => {
  const reply = await client.chat(request(model), { timeoutMs: 10_000 });
  const part = reply.candidates[0]?.message?.parts[0]?.kind;
  assert.equal(part?.case === "text" ? part.value : undefined, expectText);
});

test("stream", async () => {
  let text = "";
  let final: StreamFinal | undefined;
  for await (const event of client.streamChat({ chat: request(model) }, { timeoutMs: 10_000 })) {
    if (event.event.case === "delta" && event.event.value.content.case === "text") {
      text += event.event.value.content.value;
    } else if (event.event.case === "final") {
      final = event.event.value;
    }
  }
  assert.equal(text, expectText);
  assert.ok(final?.usage && final.usage.outputTokenCount > 0, "final usage");
  assert.ok(final?.cost?.total, "final cost");
});

test("cancel", async () => {
  const abort = new AbortController();
  let deltas = 0;
  const error = await failure(
    (async () => {
      for await (const event of client.streamChat(
        { chat: request(env("LLMGW_SLOW_MODEL")) },
        { signal: abort.signal },
      )) {
        if (event.event.case === "delta") {
          deltas += 1;
          abort.abort();
        }
      }
    })(),
  );
  assert.equal(deltas, 1);
  assert.equal(error.code, Code.Canceled);
});

test("deadline", async () => {
  const error = await failure(client.chat(request(env("LLMGW_SLEEPY_MODEL")), { timeoutMs: 500 }));
  assert.equal(error.code, Code.DeadlineExceeded);
});

test("typo_model", async () => {
  const error = await failure(client.chat(request(`${model}-typo`)));
  assert.equal(error.code, Code.NotFound);
  assert.equal(gatewayErrorDetails(error).errorInfo?.reason, "MODEL_NOT_FOUND");
  assert.ok(gatewayErrorDetails(error).requestId);
});

test("bad_request", async () => {
  const error = await failure(client.chat(create(ChatRequestSchema, { model })));
  assert.equal(error.code, Code.InvalidArgument);
  const details = gatewayErrorDetails(error);
  assert.equal(details.errorInfo?.reason, "INVALID_REQUEST");
  assert.ok(details.violations.some((v) => v.field.startsWith("messages")), "messages violation");
});

test("retry_info", async () => {
  const error = await failure(client.chat(request(env("LLMGW_LIMITED_MODEL"))));
  assert.equal(error.code, Code.ResourceExhausted);
  const details = gatewayErrorDetails(error);
  assert.equal(details.errorInfo?.reason, "UPSTREAM_RATE_LIMITED");
  assert.ok((details.retryDelayMs ?? 0) > 0, "RetryInfo delay");
});

test("unauthenticated", async () => {
  const error = await failure(anonymous.chat(request(model)));
  assert.equal(error.code, Code.Unauthenticated);
  assert.equal(gatewayErrorDetails(error).errorInfo?.reason, "API_KEY_INVALID");
});
