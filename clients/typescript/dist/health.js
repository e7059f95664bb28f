// grpc.health.v1.Health for Connect clients. The health proto is not part of
// our contract (the gateway serves the standard service), so its descriptor is
// built here instead of generated.
import { createFileRegistry, create } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FieldDescriptorProto_Label, FieldDescriptorProto_Type, } from "@bufbuild/protobuf/wkt";
const file = create(FileDescriptorProtoSchema, {
    name: "grpc/health/v1/health.proto",
    package: "grpc.health.v1",
    syntax: "proto3",
    messageType: [
        {
            name: "HealthCheckRequest",
            field: [
                {
                    name: "service",
                    jsonName: "service",
                    number: 1,
                    type: FieldDescriptorProto_Type.STRING,
                    label: FieldDescriptorProto_Label.OPTIONAL,
                },
            ],
        },
        {
            name: "HealthCheckResponse",
            field: [
                {
                    name: "status",
                    jsonName: "status",
                    number: 1,
                    type: FieldDescriptorProto_Type.ENUM,
                    typeName: ".grpc.health.v1.HealthCheckResponse.ServingStatus",
                    label: FieldDescriptorProto_Label.OPTIONAL,
                },
            ],
            enumType: [
                {
                    name: "ServingStatus",
                    value: [
                        { name: "UNKNOWN", number: 0 },
                        { name: "SERVING", number: 1 },
                        { name: "NOT_SERVING", number: 2 },
                        { name: "SERVICE_UNKNOWN", number: 3 },
                    ],
                },
            ],
        },
    ],
    service: [
        {
            name: "Health",
            method: [
                {
                    name: "Check",
                    inputType: ".grpc.health.v1.HealthCheckRequest",
                    outputType: ".grpc.health.v1.HealthCheckResponse",
                },
            ],
        },
    ],
});
const registry = createFileRegistry(file, () => undefined);
export const HealthCheckRequestSchema = registry.getMessage("grpc.health.v1.HealthCheckRequest");
export const HealthCheckResponseSchema = registry.getMessage("grpc.health.v1.HealthCheckResponse");
/** The grpc.health.v1.Health service (Check only). */
export const Health = registry.getService("grpc.health.v1.Health");
/** HealthCheckResponse.status values. */
export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 };
