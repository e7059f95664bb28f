"""OutputCaps: the per-attempt request (``pipeline.output_cap``'s decision table)
and the copy it makes of a capped request.

The copy is hand-rolled (it runs on every attempt a budget reservation backs),
so it is checked against what ``dataclasses.replace`` builds, on a request
whose every field is set; the kept capped generation must never leak one
caller's generation into another's request.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from llmgw.domain.generation import (
    FunctionDeclaration,
    GenerationConfig,
    ReasoningEffort,
    ResponseFormat,
    ToolChoice,
    ToolChoiceMode,
)
from llmgw.domain.messages import Message, Role, TextPart
from llmgw.domain.models import ModelInfo
from llmgw.domain.requests import Attribution, ChatRequest, RoutingHints
from llmgw.pipeline.output_cap import OutputCaps

MODEL = ModelInfo("m", "b", "m-up")
CAPPED_MODEL = ModelInfo("m2", "b", "m2-up", max_output_tokens=1000)
HELLO = (Message(Role.USER, (TextPart("hello"),)),)


class _Prices:
    """A price book with one price: 1 USD per million tokens in, 2 out."""

    def price(self, model: ModelInfo) -> Any:
        return _Price(Decimal(1), Decimal(2))


@dataclasses.dataclass(frozen=True)
class _Price:
    input_per_mtok: Decimal
    output_per_mtok: Decimal


def _caps(default: int = 4096) -> OutputCaps:
    return OutputCaps(_Prices(), default)  # type: ignore[arg-type]


def _full_request() -> ChatRequest:
    """Every field away from its default (the copy must carry each one)."""
    generation = GenerationConfig(
        temperature=0.5,
        top_p=0.9,
        top_k=40,
        max_output_tokens=None,
        stop_sequences=("END",),
        seed=7,
        presence_penalty=0.1,
        frequency_penalty=0.2,
        candidate_count=2,
        logprobs=True,
        top_logprobs=3,
        response_format=ResponseFormat(kind="json_object"),
        reasoning_effort=ReasoningEffort.HIGH,
        reasoning_budget_tokens=512,
        backend_parameters={"min_p": 0.1},
    )
    return ChatRequest(
        model="m",
        messages=HELLO,
        generation=generation,
        tools=(FunctionDeclaration("f", "does f", '{"type": "object"}', True),),
        tool_choice=ToolChoice(ToolChoiceMode.REQUIRED, ("f",), False),
        routing=RoutingHints(strategy="cost", fallback_models=("m2",), prompt_cache_key="k"),
        attribution=Attribution(project="p", end_user_id="u", labels=(("a", "b"),), tenant="t"),
        request_id="r-1",
        idempotent=True,
    )


def test_every_field_is_set_in_the_full_request() -> None:
    # The copy sets slots directly: neither type may grow a __post_init__.
    assert not hasattr(ChatRequest, "__post_init__")
    assert not hasattr(GenerationConfig, "__post_init__")
    request = _full_request()
    defaults = ChatRequest(model="", messages=())
    for field in dataclasses.fields(ChatRequest):
        assert getattr(request, field.name) != getattr(defaults, field.name), field.name
    generation_defaults = GenerationConfig()
    for field in dataclasses.fields(GenerationConfig):
        if field.name != "max_output_tokens":  # the one the cap sets
            value = getattr(request.generation, field.name)
            assert value != getattr(generation_defaults, field.name), field.name


def test_the_capped_copy_is_what_dataclasses_replace_builds() -> None:
    request = _full_request()
    capped = _caps().apply(request, MODEL, lambda: 10, reserving=True)
    generation = dataclasses.replace(request.generation, max_output_tokens=4096)
    assert capped.request == dataclasses.replace(request, generation=generation)
    assert type(capped.request) is ChatRequest
    assert type(capped.request.generation) is GenerationConfig
    assert request.generation.max_output_tokens is None  # the caller's request is untouched
    assert (capped.cost_limited, capped.cost_limit_tokens) == (False, 0)


def test_decision_table() -> None:
    caps = _caps()
    plain = ChatRequest(model="m", messages=HELLO)
    asked = ChatRequest(
        model="m", messages=HELLO, generation=GenerationConfig(max_output_tokens=77)
    )
    # no cap, no budgets: the request as it came
    assert caps.apply(plain, MODEL, lambda: 10, reserving=False).request is plain
    # caller set a cap: the caller's cap, reserving or not
    assert caps.apply(asked, MODEL, lambda: 10, reserving=True).request is asked
    # no cap, a reservation: the model's cap, else the default
    modelled = caps.apply(plain, CAPPED_MODEL, lambda: 10, reserving=True).request
    assert modelled.generation.max_output_tokens == 1000
    assert caps.apply(plain, MODEL, lambda: 10, reserving=True).request.generation == (
        GenerationConfig(max_output_tokens=4096)
    )


def test_max_cost_tightens_the_cap_and_marks_it_cost_limited() -> None:
    # 10 input tokens at 1 USD/Mtok = 10,000 nanos; output 2,000 nanos a token
    routing = RoutingHints(max_cost_nanos=1_010_000)
    request = ChatRequest(model="m", messages=HELLO, routing=routing)
    capped = _caps().apply(request, MODEL, lambda: 10, reserving=True)
    assert capped.request.generation.max_output_tokens == 500
    assert (capped.cost_limited, capped.cost_limit_tokens) == (True, 500)


def test_a_kept_capped_generation_serves_only_the_generation_it_was_made_from() -> None:
    caps = _caps()
    shared = GenerationConfig()
    first = ChatRequest(model="m", messages=HELLO, generation=shared, request_id="1")
    second = ChatRequest(model="m", messages=HELLO, generation=shared, request_id="2")
    one = caps.apply(first, MODEL, lambda: 10, reserving=True).request
    two = caps.apply(second, MODEL, lambda: 10, reserving=True).request
    assert one.generation is two.generation  # one copy for the shared generation
    assert (one.request_id, two.request_id) == ("1", "2")
    # Another generation object with other values gets its own, not the kept one.
    hot = GenerationConfig(temperature=1.5)
    third = caps.apply(
        ChatRequest(model="m", messages=HELLO, generation=hot), MODEL, lambda: 10, True
    ).request
    assert third.generation == GenerationConfig(temperature=1.5, max_output_tokens=4096)
    again = caps.apply(first, MODEL, lambda: 10, reserving=True).request
    assert again.generation == GenerationConfig(max_output_tokens=4096)


def test_cost_limited_caps_are_not_kept() -> None:
    caps = _caps()
    shared = GenerationConfig()
    for budget, expected in ((1_010_000, 500), (2_010_000, 1000)):
        routing = RoutingHints(max_cost_nanos=budget)
        request = ChatRequest(model="m", messages=HELLO, generation=shared, routing=routing)
        capped = caps.apply(request, MODEL, lambda: 10, reserving=True)
        assert capped.request.generation.max_output_tokens == expected
    assert caps._generations == {}  # the bound on what is kept
