"""The admin plane's servicer and its RPC groups (costs and budgets, API keys,
backends, the audit trail). Handlers only convert and call: admin changes are
made by ``llmgw.control``, money questions answered by ``llmgw.accounting``."""
