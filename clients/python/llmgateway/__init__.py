"""llmgw client stubs. The generated modules live in ``llmgateway.v1``."""
