"""Pure domain types: no I/O, no gRPC, no HTTP, nothing else of ours."""
