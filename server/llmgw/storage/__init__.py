"""State stores over one small SQL port (SQLite by default, PostgreSQL).

* ``database`` -- ``Database``, ``open_database``, ``migrate``;
* ``api_keys`` -- ``ApiKeyStore`` (hashes only) and the bootstrap key;
* ``audit`` -- ``AuditStore`` (redacted rows, paged queries);
* ``budgets`` -- ``BudgetStore`` (budget rows, fired alerts).
"""
