"""Structured logging (``logging``) and the recent-traffic window behind
``GetMetrics`` (``traffic``)."""
