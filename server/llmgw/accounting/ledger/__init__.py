"""The ledger: one durable row per upstream attempt, the source of truth for
costs.

* ``port``: the ``Ledger`` protocol and how a row reaches durable storage;
* ``schema``: tables, rollups and migrations (SQLite and PostgreSQL);
* ``write``: the insert path with its group commit (``group_commit``);
* ``sqlite``: the embedded default;
* ``relay``: the per-replica SQLite outbox relayed to PostgreSQL;
* ``queries``: the reports behind ``GetCosts``.
"""
