"""The gRPC edge: servicers, proto <-> domain conversion, validation, status mapping.

The only package that imports grpc or the generated stubs.
"""
