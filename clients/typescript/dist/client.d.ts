import { type Interceptor, type Transport } from "@connectrpc/connect";
import { type BadRequest_FieldViolation, type ErrorInfo } from "./gen/google/rpc/error_details_pb.js";
export interface GatewayTransportOptions {
    /** host:port of the gateway's data plane; `https://` for TLS, else plaintext. */
    address: string;
    /** Sent as `authorization: Bearer <apiKey>` on every call. */
    apiKey?: string;
    /** Default deadline of every call (ms); `timeoutMs` per call overrides it. */
    defaultTimeoutMs?: number;
    /** Largest message accepted from the gateway (bytes, default 64 MiB). */
    readMaxBytes?: number;
}
/** An interceptor adding `authorization: Bearer <key>` to every request. */
export declare function apiKeyInterceptor(apiKey: string): Interceptor;
/** A transport plus `close()`, which ends its HTTP/2 connection (lets Node exit). */
export interface GatewayTransport extends Transport {
    close(): void;
}
/** A Connect transport speaking the gRPC protocol (HTTP/2) to the gateway. */
export declare function createGatewayTransport(options: GatewayTransportOptions): GatewayTransport;
/** The gateway's error details, decoded from a failed call. */
export interface GatewayErrorDetails {
    errorInfo?: ErrorInfo;
    /** From RetryInfo: how long to wait before retrying; absent = not retryable. */
    retryDelayMs?: number;
    violations: BadRequest_FieldViolation[];
    requestId?: string;
}
export declare function gatewayErrorDetails(error: unknown): GatewayErrorDetails;
