"""Logging now; metrics and tracing arrive with the observability issue."""
