"""``control/backends.py`` on its own: the replaced adapter is retired on the
injected clock (closed once the drain sleep ends, never before), dry runs
change nothing, a name is taken once."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from llmgw.control.backends import MAX_DRAIN_SECONDS, BackendControl, BackendTools
from llmgw.control.probes import ProbeResult
from llmgw.domain.backends import BackendKind, BackendSpec
from llmgw.domain.errors import BackendExistsError, NoEligibleBackendError
from llmgw.outbound.endpoint_guard import PinnedEndpoint


class HeldClock:
    """``sleep`` waits until the test releases it; the asked seconds are kept."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.release = asyncio.Event()

    def now(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        await self.release.wait()

    def jitter(self) -> float:
        return 0.0


class Adapter:
    def __init__(self, url: str) -> None:
        self.url = url
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


class Guard:
    async def check(self, url: str, field: str) -> PinnedEndpoint:
        return PinnedEndpoint(url, "127.0.0.1", ("127.0.0.1",))


class Probes:
    def __init__(self, ok: bool) -> None:
        self.ok = ok

    async def probe(self, backend: str, provider: Any = None) -> ProbeResult:
        return ProbeResult(self.ok, 0.0, 0.0, 0 if self.ok else 1)


def _control(timeout: float, ok: bool = True) -> tuple[BackendControl, Any, HeldClock]:
    old = Adapter("http://127.0.0.1:1")
    providers: dict[str, Any] = {"b": old}

    def replace_provider(name: str, provider: Any) -> Any:
        previous, providers[name] = providers[name], provider
        return previous

    gateway = SimpleNamespace(
        replace_provider=replace_provider,
        has_backend=lambda name: name in providers,
        add_backend=lambda spec, provider, pool: providers.__setitem__(spec.name, provider),
        providers=providers,
    )
    spec = BackendSpec("b", BackendKind.OPENAI_COMPATIBLE, old.url, (), request_timeout=timeout)
    clock = HeldClock()
    tools = BackendTools(Guard(), lambda s: Adapter(s.base_url), Probes(ok))  # type: ignore[arg-type]
    return BackendControl(gateway, [spec], tools, clock), gateway, clock  # type: ignore[arg-type]


@pytest.mark.parametrize(("request_timeout", "drain"), [(7.5, 7.5), (600.0, MAX_DRAIN_SECONDS)])
async def test_the_old_adapter_closes_when_the_drain_sleep_ends(
    request_timeout: float, drain: float
) -> None:
    control, gateway, clock = _control(request_timeout)
    old = gateway.providers["b"]
    change = await control.update_endpoint("b", "http://127.0.0.1:2", validate_only=False)
    assert change.applied and change.after.base_url == "http://127.0.0.1:2"
    assert gateway.providers["b"].url == "http://127.0.0.1:2"
    for _ in range(100):  # let the retire task reach its sleep (bounded)
        if clock.asked:
            break
        await asyncio.sleep(0)
    assert clock.asked == [drain] and not old.closed  # still draining
    clock.release.set()
    for _ in range(100):
        if old.closed:
            break
        await asyncio.sleep(0)
    assert old.closed


async def test_a_dry_run_changes_nothing_and_a_failing_probe_is_a_precondition() -> None:
    control, gateway, clock = _control(5.0)
    old = gateway.providers["b"]
    change = await control.update_endpoint("b", "http://127.0.0.1:3", validate_only=True)
    assert not change.applied and change.probe is not None
    assert gateway.providers["b"] is old and control.specs["b"].base_url == old.url
    assert clock.asked == []
    failing, _, _ = _control(5.0, ok=False)
    with pytest.raises(NoEligibleBackendError):
        await failing.update_endpoint("b", "http://127.0.0.1:3", validate_only=True)


async def test_create_registers_once() -> None:
    control, gateway, _ = _control(5.0)
    spec = BackendSpec("c", BackendKind.OPENAI_COMPATIBLE, "http://127.0.0.1:4", ())
    assert (await control.create(spec, validate_only=False)).applied
    assert "c" in control.specs and gateway.providers["c"].url == "http://127.0.0.1:4"
    with pytest.raises(BackendExistsError):
        await control.create(spec, validate_only=False)
