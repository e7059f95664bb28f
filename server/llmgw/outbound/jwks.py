"""JWKS (RFC 7517) signing keys of a JWT issuer, fetched in the background.

Token verification never does I/O: ``key_for`` reads the key set held in
memory. ``start`` makes one bounded first fetch (so a gateway that can reach
its issuer starts with keys), then a task refreshes every
``refresh_seconds``. A token naming an unknown ``kid`` (the issuer rotated
its keys) schedules one early refresh, at most every ``min_refresh_seconds``,
and is rejected meanwhile. A failed refresh keeps the previous keys.
Redirects are not followed and the body is capped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import aiohttp
import jwt
import orjson

from llmgw.observability.logging import get_logger

_MAX_BODY = 1024 * 1024
log = get_logger("llmgw.jwks")


def parse_jwks(body: bytes) -> dict[str, jwt.PyJWK]:
    """``kid`` -> key for every usable signing key of a JWKS document
    (keys without ``kid`` are stored under ``""``)."""
    data = orjson.loads(body)
    keys: dict[str, jwt.PyJWK] = {}
    for entry in data.get("keys", []) if isinstance(data, dict) else []:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            keys[str(entry.get("kid", ""))] = jwt.PyJWK(entry)
        except (jwt.PyJWKError, jwt.InvalidKeyError):
            continue
    return keys


class JwksFetcher:
    """Holds the issuer's current keys; refreshes them off the request path."""

    def __init__(
        self,
        url: str,
        *,
        refresh_seconds: float = 300.0,
        min_refresh_seconds: float = 30.0,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._url = url
        self._refresh = refresh_seconds
        self._min_refresh = min_refresh_seconds
        self._timeout = timeout_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._last_fetch = 0.0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def key_for(self, kid: str) -> Any | None:
        """The verification key for ``kid``, or ``None`` (an early refresh is asked)."""
        found = self._keys.get(kid)
        if found is None:
            self._wake.set()
            return None
        return found.key

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self._timeout), trust_env=False
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.refresh(), self._timeout)
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    async def refresh(self) -> None:
        """One fetch; on any failure the previous keys stay (logged, no secret)."""
        assert self._session is not None, "start() first"
        self._last_fetch = time.monotonic()
        try:
            async with self._session.get(self._url, allow_redirects=False) as response:
                if response.status != 200:
                    raise ValueError(f"HTTP {response.status}")
                body = await response.content.read(_MAX_BODY + 1)
                if len(body) > _MAX_BODY:
                    raise ValueError("JWKS document too large")
            keys = parse_jwks(body)
        except (aiohttp.ClientError, TimeoutError, ValueError, orjson.JSONDecodeError) as exc:
            log.warning("jwks refresh failed", url=self._url, error=str(exc))
            return
        self._keys = keys
        log.info("jwks refreshed", url=self._url, keys=len(keys))

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._refresh)
            self._wake.clear()
            wait = self._min_refresh - (time.monotonic() - self._last_fetch)
            if wait > 0:
                await asyncio.sleep(wait)
            await self.refresh()
