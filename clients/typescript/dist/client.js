// Connect helpers for the gateway: a gRPC transport over HTTP/2 with the API
// key as metadata, and google.rpc.Status details decoded into generated types.
import { ConnectError } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import { BadRequestSchema, ErrorInfoSchema, RequestInfoSchema, RetryInfoSchema, } from "./gen/google/rpc/error_details_pb.js";
/** An interceptor adding `authorization: Bearer <key>` to every request. */
export function apiKeyInterceptor(apiKey) {
    return (next) => async (request) => {
        request.header.set("authorization", `Bearer ${apiKey}`);
        return next(request);
    };
}
/** A Connect transport speaking the gRPC protocol (HTTP/2) to the gateway. */
export function createGatewayTransport(options) {
    const baseUrl = /^https?:\/\//.test(options.address)
        ? options.address
        : `http://${options.address}`;
    // Keepalive: ping every 30 s, give up on the connection after 10 s without an answer.
    const sessionManager = new Http2SessionManager(baseUrl, {
        pingIntervalMs: 30_000,
        pingTimeoutMs: 10_000,
    });
    const transport = createGrpcTransport({
        baseUrl,
        sessionManager,
        interceptors: options.apiKey ? [apiKeyInterceptor(options.apiKey)] : [],
        defaultTimeoutMs: options.defaultTimeoutMs,
        readMaxBytes: options.readMaxBytes ?? 64 * 1024 * 1024,
    });
    return Object.assign(transport, { close: () => sessionManager.abort() });
}
export function gatewayErrorDetails(error) {
    const err = ConnectError.from(error);
    const retry = err.findDetails(RetryInfoSchema)[0];
    const delay = retry?.retryDelay;
    return {
        errorInfo: err.findDetails(ErrorInfoSchema)[0],
        retryDelayMs: delay === undefined ? undefined : Number(delay.seconds) * 1000 + delay.nanos / 1e6,
        violations: err.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations),
        requestId: err.findDetails(RequestInfoSchema)[0]?.requestId,
    };
}
