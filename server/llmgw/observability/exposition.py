"""The ``/metrics`` listener (``--metrics-listen``, default ``127.0.0.1:9464``).

prometheus-client's own HTTP server, in its daemon thread: a scrape renders
the registry off the event loop, so a slow scraper never stalls a request,
and no HTTP library joins the data plane (only ``providers``/``outbound`` may
import aiohttp). It answers the Prometheus text format, or OpenMetrics (with
the duration histograms' trace exemplars) when the scraper asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server


@dataclass(slots=True)
class MetricsListener:
    """A started listener; ``port`` is the bound one (0 asks for any)."""

    port: int
    _server: Any
    _thread: Any

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve_metrics(registry: CollectorRegistry, address: str) -> MetricsListener:
    """Listen on ``address`` (``host:port``); ``OSError`` naming it when taken."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        server, thread = start_http_server(int(port), addr=host, registry=registry)
    except OSError as exc:
        raise OSError(f"cannot listen on {address} for metrics: {exc.strerror}") from exc
    return MetricsListener(server.server_port, server, thread)


__all__ = ["MetricsListener", "serve_metrics"]
