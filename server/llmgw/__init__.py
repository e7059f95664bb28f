"""llmgw: an LLM gateway served as an async gRPC microservice."""

__version__ = "0.1.0"
