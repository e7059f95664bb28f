"""Budget alert webhook: POST one JSON alert to an operator-configured URL.

Delivery is at least once per call: up to ``tries`` attempts with exponential
backoff, retried only on 5xx, 429 and connection errors/timeouts (a 4xx is
the receiver saying no; retrying would not change it). Redirects are never
followed: a redirect could move the alert (spend data) to a host nobody
validated. HTTP lives here because only ``providers`` may use aiohttp; the
pipeline receives an ``AlertWebhook`` as its ``notify`` callable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import aiohttp
import orjson


class SupportsAsDict(Protocol):
    def as_dict(self) -> Mapping[str, Any]: ...


class WebhookError(Exception):
    """Every attempt failed or the receiver refused the alert."""


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


class AlertWebhook:
    """``await webhook(alert)`` delivers ``alert.as_dict()`` as JSON or raises
    ``WebhookError``. Create and use on the running loop; ``aclose`` at the end."""

    def __init__(
        self,
        url: str,
        timeout: float = 10.0,
        *,
        tries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._tries = max(1, tries)
        self._backoff = backoff
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={"Content-Type": "application/json", "User-Agent": "llmgw-alerts"},
                trust_env=False,
            )
        return self._session

    async def __call__(self, alert: SupportsAsDict) -> None:
        await self.send(alert.as_dict())

    async def send(self, payload: Mapping[str, Any]) -> None:
        body = orjson.dumps(payload)
        last = ""
        for attempt in range(self._tries):
            if attempt:
                await self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                async with self._client().post(
                    self.url, data=body, allow_redirects=False
                ) as response:
                    if response.status < 300:
                        return
                    last = f"HTTP {response.status}"
                    if not _retryable(response.status):
                        raise WebhookError(f"alert webhook refused the alert: {last}")
            except (aiohttp.ClientError, TimeoutError) as error:
                last = type(error).__name__
        raise WebhookError(f"alert webhook failed after {self._tries} tries: {last}")

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
