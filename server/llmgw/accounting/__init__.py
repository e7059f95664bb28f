"""Money: the PriceBook (genai-prices + overrides, integer nanos), the ledger
(``ledger/``: one row per upstream attempt, SQLite or an outbox relayed to
PostgreSQL, rollups and report queries), budget counters (in memory or one
Redis Lua script) and the vLLM uptime line. Stores that are not about money
live in ``storage/``."""
