import type { Message } from "@bufbuild/protobuf";
import type { GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
export type HealthCheckRequest = Message<"grpc.health.v1.HealthCheckRequest"> & {
    service: string;
};
export type HealthCheckResponse = Message<"grpc.health.v1.HealthCheckResponse"> & {
    /** A ServingStatus value. */
    status: number;
};
export declare const HealthCheckRequestSchema: GenMessage<HealthCheckRequest>;
export declare const HealthCheckResponseSchema: GenMessage<HealthCheckResponse>;
/** The grpc.health.v1.Health service (Check only). */
export declare const Health: GenService<{
    check: {
        methodKind: "unary";
        input: typeof HealthCheckRequestSchema;
        output: typeof HealthCheckResponseSchema;
    };
}>;
/** HealthCheckResponse.status values. */
export declare const ServingStatus: {
    readonly UNKNOWN: 0;
    readonly SERVING: 1;
    readonly NOT_SERVING: 2;
    readonly SERVICE_UNKNOWN: 3;
};
