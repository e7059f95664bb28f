"""Per-call mechanisms of the unary core: ids, the lazy token estimate."""

from __future__ import annotations

import os
import re

import pytest
from llmgw.accounting.pricing import PriceBook
from llmgw.domain import ids
from llmgw.domain.errors import NoEligibleBackendError
from llmgw.domain.ids import new_id
from llmgw.domain.messages import Message, Role, TextPart
from llmgw.domain.models import ModelInfo, ModelType, Target
from llmgw.domain.requests import ChatRequest, RoutingHints
from llmgw.pipeline import gateway
from llmgw.pipeline.breaker import BreakerBoard
from llmgw.pipeline.catalog import Catalog, RouteOverride
from llmgw.pipeline.latency import LatencyBoard
from llmgw.pipeline.plan import PlanInputs, Planner, PlanQuery, RoutingSettings
from manual_clock import ManualClock


def test_ids_are_32_hex_characters_and_unique_across_batches() -> None:
    made = [new_id() for _ in range(3 * ids._BATCH + 7)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in made)
    assert len(set(made)) == len(made)


def test_a_forked_child_does_not_reuse_the_parents_ids() -> None:
    new_id()  # the pool holds ids the child inherits
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, then exit at once
        try:
            os.write(write, new_id().encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert re.fullmatch(r"[0-9a-f]{32}", child)
    assert child != new_id()  # without the at-fork reset both would take the same id


def test_the_lazy_token_estimate_runs_once() -> None:
    request = ChatRequest("m", (Message(Role.USER, (TextPart("x" * 40),)),))
    calls: list[ChatRequest] = []

    def estimate(r: ChatRequest) -> int:
        calls.append(r)
        return 10

    lazy = gateway._Lazy(estimate, request)
    assert calls == []
    assert (lazy(), lazy()) == (10, 10)
    assert calls == [request]
    assert gateway._chat_tokens(request)() == gateway.estimate_input_tokens(request)


# -- the lone-target plan, kept per name and catalogue version ----------------


def _planner(
    catalog: Catalog, served: set[str], settings: RoutingSettings | None = None
) -> Planner:
    clock = ManualClock()
    models = list(catalog.models)
    inputs = PlanInputs(
        catalog,
        served,
        PriceBook(models, provider_ids={}),
        LatencyBoard(),
        BreakerBoard(clock),
        {},
        lambda attribution: 0.0,
    )
    return Planner(inputs, settings or RoutingSettings())


def _query(name: str, routing: RoutingHints | None = None) -> PlanQuery:
    return PlanQuery(name, routing or RoutingHints(), ModelType.CHAT, 0, lambda: 10)


def _names(targets: list[Target]) -> list[str]:
    return [f"{t.backend}/{t.model.id}" for t in targets]


A = ModelInfo("m-a", "a", "up-a")
B = ModelInfo("m-b", "b", "up-b")


def test_a_kept_plan_follows_alias_changes_and_new_models() -> None:
    catalog = Catalog([A, B], {"fast": ["m-a"]})
    planner = _planner(catalog, {"a", "b"})
    first = planner.plan(_query("fast"))
    assert _names(first) == ["a/m-a"]
    first.append(first[0])  # a caller's list: never the kept one
    assert _names(planner.plan(_query("fast"))) == ["a/m-a"]
    catalog.set_aliases({"fast": ["m-b"]})  # a configuration reload
    assert _names(planner.plan(_query("fast"))) == ["b/m-b"]
    catalog.add_models([ModelInfo("m-b", "c", "up-c")])  # m-b served by a second backend
    planner._in.served.add("c")  # type: ignore[attr-defined]
    assert _names(planner.plan(_query("m-b"))) == ["b/m-b", "c/m-b"]


def test_an_override_is_planned_until_it_expires() -> None:
    wall = [100.0]
    catalog = Catalog([A, B], {"fast": ["m-a", "m-b"]}, wall=lambda: wall[0])
    planner = _planner(catalog, {"a", "b"})
    hints = RoutingHints(fallback_mode="none")
    assert _names(planner.plan(_query("fast", hints))) == ["a/m-a"]
    catalog.set_aliases({"fast": ["m-a"]})
    assert _names(planner.plan(_query("fast"))) == ["a/m-a"]  # kept
    override = RouteOverride(Target(B, "fast"), "test", "ops", 100.0, expires_at=150.0)
    catalog.switch("fast", override)
    assert _names(planner.plan(_query("fast"))) == ["b/m-b", "a/m-a"]
    wall[0] = 200.0  # expired: the alias's own chain again
    assert _names(planner.plan(_query("fast"))) == ["a/m-a"]


def test_new_routing_settings_drop_kept_plans() -> None:
    wide = ModelInfo("m-w", "a", "up-w", context_window=1000)
    catalog = Catalog([A, wide], {"fast": ["m-a"]})
    planner = _planner(catalog, {"a"})
    assert _names(planner.plan(_query("fast"))) == ["a/m-a"]
    planner.settings = RoutingSettings(strategies={"fast": "cost"})
    assert planner._lone == {}
    assert _names(planner.plan(_query("fast"))) == ["a/m-a"]
    assert planner._lone == {}  # a strategy to apply: not a lone-target shortcut
    assert _names(planner.plan(_query("m-w"))) == ["a/m-w"]
    assert ("m-w", ModelType.CHAT) not in planner._lone  # a context window to check


def test_requests_with_routing_hints_are_planned_each_time() -> None:
    catalog = Catalog([A, B], {"fast": ["m-a"]})
    planner = _planner(catalog, {"a", "b"})
    assert _names(planner.plan(_query("fast", RoutingHints(pinned_backend="a")))) == ["a/m-a"]
    assert planner._lone == {}
    with pytest.raises(NoEligibleBackendError):
        planner.plan(_query("fast", RoutingHints(pinned_backend="b")))
