// @llmgw/llmgateway-client: generated llmgateway.v1 messages and service
// descriptors (protoc-gen-es) plus small Connect helpers.
export * from "./gen/llmgateway/v1/admin_service_pb.js";
export * from "./gen/llmgateway/v1/content_pb.js";
export * from "./gen/llmgateway/v1/errors_pb.js";
export * from "./gen/llmgateway/v1/gateway_service_pb.js";
export * from "./gen/llmgateway/v1/generation_pb.js";
export * from "./gen/llmgateway/v1/routing_pb.js";
export * from "./gen/google/rpc/error_details_pb.js";
export * from "./gen/google/rpc/status_pb.js";
export * from "./gen/google/type/money_pb.js";
export * from "./client.js";
export * from "./health.js";
