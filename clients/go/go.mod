module github.com/llmgw/llmgw/clients/go

go 1.19

// Minimum versions for the generated code (protoc-gen-go 1.28, protoc-gen-go-grpc
// 1.x); module users run `go mod tidy` to resolve and record checksums. CI builds
// in GOPATH mode against Debian's packages (no module proxy there).
require (
	google.golang.org/genproto v0.0.0-20240213162025-012b6fc9bca9
	google.golang.org/genproto/googleapis/api v0.0.0-20240221002015-b0ce06bbee7c
	google.golang.org/genproto/googleapis/rpc v0.0.0-20240213162025-012b6fc9bca9
	google.golang.org/grpc v1.61.1
	google.golang.org/protobuf v1.32.0
)
