"""Routing strategies are pure functions: table-driven tests over candidate facts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from llmgw.domain.errors import ContextLengthExceededError, NoEligibleBackendError
from llmgw.domain.models import Capability, ModelInfo, Target
from llmgw.domain.money import ModelPrice
from llmgw.domain.requests import RoutingHints
from llmgw.pipeline.routing import Candidate, estimated_cost_nanos, plan

TOOLS = frozenset({Capability.STREAMING, Capability.TOOLS})


def cand(
    backend: str,
    *,
    price: tuple[str, str] | None = ("1", "2"),
    latency: float | None = None,
    tier: int = 1,
    caps: frozenset[Capability] = TOOLS,
    window: int = 100_000,
    healthy: bool = True,
    local: bool = False,
    in_flight: int = 0,
    cap: int = 0,
) -> Candidate:
    model = ModelInfo(
        id=f"{backend}-model",
        backend=backend,
        upstream_id="u",
        capabilities=caps,
        context_window=window,
        max_output_tokens=1000,
        quality_tier=tier,
    )
    return Candidate(
        target=Target(model, "alias"),
        price=None if price is None else ModelPrice(Decimal(price[0]), Decimal(price[1])),
        latency=latency,
        healthy=healthy,
        local=local,
        in_flight=in_flight,
        max_in_flight=cap,
    )


_NO_HINTS = RoutingHints()


def order(candidates, strategy, hints=_NO_HINTS, draw=0.99, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    targets = plan(
        "alias",
        candidates,
        hints,
        strategy,
        input_tokens=kw.get("tokens", 100),
        output_tokens=kw.get("out", 0),
        draw=draw,
    )
    return [t.backend for t in targets]


CASES = [
    # strategy, candidates, expected order
    ("", [cand("a"), cand("b"), cand("c")], ["a", "b", "c"]),
    ("capability", [cand("a"), cand("b")], ["a", "b"]),
    (
        "cost",
        [
            cand("a", price=("3", "15")),
            cand("b", price=("0.15", "0.6")),
            cand("c", price=None),
            cand("d", price=("0", "0")),
        ],
        ["d", "b", "a", "c"],
    ),
    ("quality", [cand("a", tier=1), cand("b", tier=3), cand("c", tier=2)], ["b", "c", "a"]),
    (
        "latency",
        [cand("a", latency=0.9), cand("b", latency=0.2), cand("c", latency=0.5)],
        ["b", "c", "a"],
    ),
    ("latency", [cand("a", latency=0.9), cand("b", latency=None)], ["b", "a"]),
    ("local_first", [cand("cloud"), cand("vllm", local=True)], ["vllm", "cloud"]),
    (
        "local_first",
        [cand("cloud"), cand("vllm", local=True, in_flight=8, cap=8)],
        ["cloud", "vllm"],
    ),
    ("local_first", [cand("cloud"), cand("vllm", local=True, healthy=False)], ["cloud", "vllm"]),
    (
        "",
        [cand("a", healthy=False), cand("b"), cand("c", healthy=False), cand("d")],
        ["b", "d", "a", "c"],
    ),
    # balanced = 0.4 cost/max_cost + 0.4 latency/max_latency + 0.2 (1 - tier/max_tier):
    # mid 0.014+0.06+0.067=0.14; dear_fast 0.4+0.02+0=0.42; cheap_slow 0.001+0.4+0.133=0.53
    (
        "balanced",
        [
            cand("cheap_slow", price=("0.1", "0.1"), latency=2.0, tier=1),
            cand("dear_fast", price=("10", "30"), latency=0.1, tier=3),
            cand("mid", price=("0.5", "1"), latency=0.3, tier=2),
        ],
        ["mid", "dear_fast", "cheap_slow"],
    ),
]


@pytest.mark.parametrize(("strategy", "candidates", "expected"), CASES)
def test_strategy_orders(strategy: str, candidates: list[Candidate], expected: list[str]) -> None:
    assert order(candidates, strategy) == expected


def test_latency_exploration_sometimes_tries_another_target_first() -> None:
    candidates = [cand("a", latency=0.9), cand("b", latency=0.1), cand("c", latency=0.5)]
    assert order(candidates, "latency", draw=0.5)[0] == "b"  # draw above the 5 % share
    explored = {order(candidates, "latency", draw=d)[0] for d in (0.0, 0.02, 0.049)}
    assert explored <= {"a", "c"} and explored


def test_required_capabilities_filter_and_explain() -> None:
    hints = RoutingHints(required_capabilities=frozenset({Capability.VISION}))
    candidates = [cand("a"), cand("b", caps=TOOLS | {Capability.VISION})]
    assert order(candidates, "", hints) == ["b"]
    with pytest.raises(NoEligibleBackendError) as caught:
        order([cand("a")], "", hints)
    (violation,) = caught.value.violations
    assert violation.reason == "CAPABILITY" and "vision" in violation.description


def test_context_window_filter() -> None:
    candidates = [cand("small", window=8_000), cand("large", window=200_000)]
    assert order(candidates, "", tokens=20_000) == ["large"]
    assert order(candidates, "", RoutingHints(min_context_tokens=100_000)) == ["large"]
    with pytest.raises(ContextLengthExceededError):
        order(candidates, "", tokens=500_000)


def test_max_cost_caps_the_request() -> None:
    dear, cheap = cand("dear", price=("10", "30")), cand("cheap", price=("0.1", "0.4"))
    unpriced = cand("unknown", price=None)
    # 1000 input + 1000 output (the model's limit stands in for an unset max) tokens:
    assert estimated_cost_nanos(dear, 1000, 0) == 40_000_000
    assert estimated_cost_nanos(cheap, 1000, 0) == 500_000
    hints = RoutingHints(max_cost_nanos=1_000_000)
    assert order([dear, cheap, unpriced], "", hints, tokens=1000) == ["cheap"]
    with pytest.raises(NoEligibleBackendError) as caught:
        order([dear, unpriced], "", hints, tokens=1000)
    assert {v.reason for v in caught.value.violations} == {"COST_CAP"}


def test_fastest_puts_never_measured_targets_first() -> None:
    from llmgw.pipeline.routing import fastest

    vision = cand("v", caps=TOOLS | {Capability.VISION}, price=("5", "5"), latency=0.3)
    plain = cand("p", price=("0.1", "0.1"), latency=0.9)
    unknown = cand("u", price=None, latency=None)
    assert [c.target.backend for c in fastest([vision, plain, unknown])] == ["u", "v", "p"]
