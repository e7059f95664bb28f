"""Rate limiting with its counter store failing (issue 10 item 5): closed by
default (``GatewayOverloadedError`` -> ``UNAVAILABLE`` + ``RetryInfo``), open
when configured; logged and counted either way; output counting never turns
a delivered answer into an error. The process-level test (Redis behind a
stopped proxy) is ``tests/e2e/test_state_outages.py``."""

from __future__ import annotations

from typing import Any

import pytest
from llmgw.domain.clock import SystemClock
from llmgw.domain.errors import GatewayOverloadedError, RateLimitedError
from llmgw.domain.principal import Principal
from llmgw.pipeline.ratelimit import CallerDefaults, CallerLimits, LimitSet

CALLER = Principal(subject="k1", key_id="k1", tenant="acme")


class Refused(Exception):
    """What a Redis client raises when the server is gone (not a builtin)."""


def _limits(fail_open: bool, monkeypatch: pytest.MonkeyPatch) -> CallerLimits:
    defaults = CallerDefaults(
        tenant=LimitSet(rpm=100, output_tpm=1000), max_concurrent_streams=2, fail_open=fail_open
    )
    limits = CallerLimits(None, SystemClock(), defaults)

    async def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise Refused("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    for name in ("test", "hit", "get_window_stats"):
        monkeypatch.setattr(limits._limiter, name, refused)
    monkeypatch.setattr(limits._slots, "acquire", refused)
    return limits


async def test_fail_closed_answers_unavailable_and_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = _limits(False, monkeypatch)
    with pytest.raises(GatewayOverloadedError) as caught:
        await limits.admit(CALLER, "", 10)
    assert caught.value.retry_after > 0
    assert "refused" not in caught.value.public_message.lower()
    with pytest.raises(GatewayOverloadedError):
        await limits.acquire_stream_slot(CALLER)
    await limits.record_output(CALLER, "", 50)  # after the answer: never raises
    assert limits.store_failures == 3


async def test_fail_open_admits_and_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = _limits(True, monkeypatch)
    await limits.admit(CALLER, "", 10)
    slot = await limits.acquire_stream_slot(CALLER)
    await slot.release()  # holds nothing
    await limits.record_output(CALLER, "", 50)
    assert limits.store_failures == 3


async def test_a_refusal_by_the_limit_itself_is_not_a_store_failure() -> None:
    defaults = CallerDefaults(tenant=LimitSet(rpm=1))
    limits = CallerLimits(None, SystemClock(), defaults)
    await limits.admit(CALLER, "", 1)
    with pytest.raises(RateLimitedError):
        await limits.admit(CALLER, "", 1)
    assert limits.store_failures == 0
