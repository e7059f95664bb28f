"""Idempotency records in Redis (shared by every replica); the protocol is
``storage.idempotency``'s.

A record is a hash ``{state, fingerprint, token, answer}`` whose key expires
with the lease (running) or the window (done): Redis drops dead records
itself. Claim, complete and release are Lua scripts, so "create if absent",
"finish only if still mine" and "delete only if still mine" are atomic
across replicas.
"""

from __future__ import annotations

from typing import Any

from llmgw.storage.idempotency import Claim, ClaimState

_CLAIM = """
local found = redis.call('HMGET', KEYS[1], 'state', 'fingerprint', 'answer')
if found[1] then return found end
redis.call('HSET', KEYS[1], 'state', 'running', 'fingerprint', ARGV[1], 'token', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return false
"""
_COMPLETE = """
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', 'done', 'answer', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 0
"""
_RELEASE = """
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisIdempotencyStore:
    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._claim = client.register_script(_CLAIM)
        self._complete = client.register_script(_COMPLETE)
        self._release = client.register_script(_RELEASE)

    def _key(self, scope: str, request_id: str) -> str:
        return f"{self._prefix}idem:{len(scope)}:{scope}:{request_id}"

    async def claim(
        self, scope: str, request_id: str, fingerprint: str, token: str, lease: float
    ) -> Claim:
        key = self._key(scope, request_id)
        found = await self._claim(keys=[key], args=[fingerprint, token, _ms(lease)])
        if not found:
            return Claim(ClaimState.CLAIMED, fingerprint)
        return _claim(found)

    async def peek(self, scope: str, request_id: str) -> Claim | None:
        found = await self._client.hmget(
            self._key(scope, request_id), "state", "fingerprint", "answer"
        )
        return _claim(found) if found[0] else None

    async def complete(
        self, scope: str, request_id: str, token: str, answer: bytes, ttl: float
    ) -> None:
        key = self._key(scope, request_id)
        await self._complete(keys=[key], args=[token, answer, _ms(ttl)])

    async def release(self, scope: str, request_id: str, token: str) -> None:
        await self._release(keys=[self._key(scope, request_id)], args=[token])


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _claim(found: list[Any]) -> Claim:
    state, fingerprint, answer = found
    text = fingerprint.decode() if isinstance(fingerprint, bytes) else fingerprint
    if state in (b"done", "done"):
        data = answer if isinstance(answer, bytes) else answer.encode()
        return Claim(ClaimState.DONE, text, data)
    return Claim(ClaimState.RUNNING, text)


__all__ = ["RedisIdempotencyStore"]
