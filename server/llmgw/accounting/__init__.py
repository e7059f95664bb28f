"""Cost and persistence: pricing now; ledger, budgets and counters build on it."""
