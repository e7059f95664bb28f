"""``GenerationConfig.backend_parameters``: which pass-through keys exist, per dialect.

The escape hatch is for engine knobs the typed API does not model (vLLM
``min_p``, ``repetition_penalty``, ...). It must never reach what the gateway
itself decides, because the gateway's promises rest on those values:

* output size and cost (``max_tokens``, ``max_completion_tokens``, ``n``,
  ``thinking`` budgets, ``service_tier``, ...): the budget reserves the typed
  ``max_output_tokens`` x ``candidate_count``; a key that overrides them
  breaks "spend <= limit + the largest reservation";
* the protocol (``stream``, ``stream_options``): a unary call that streams
  upstream is billed and then fails to parse;
* identity and content (``model``, ``messages``, ``user``, ``tools``, ...).

So the rule is an **allow-list**: a key is accepted only if it is listed in
``RULES`` and its value has the listed type and range; everything else is
refused with ``INVALID_ARGUMENT`` naming the key (``REDIRECTS`` says which
typed field to use instead for the usual suspects). Values are JSON values as
a ``google.protobuf.Struct`` carries them: every number a double, so
``json_number`` gives integral values back their integer type (``100`` goes
out as ``100``, never ``100.0``); NaN and infinities are refused.

Each rule names the dialects that understand it; ``forwarded`` keeps only
those for the dialect a request is routed to (the proto promises pass-through
to OpenAI-compatible backends only, so Anthropic forwards none). A key valid
for another dialect is dropped, not refused, so fallback across dialects works.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from llmgw.domain.backends import BackendKind
from llmgw.domain.errors import FieldViolation

MAX_KEYS = 32
MAX_STRING = 1024
MAX_BIAS_ENTRIES = 300
_TOKEN_ID = re.compile(r"[0-9]{1,10}")
_EXACT_INTEGER = 2**53  # doubles represent every integer below this exactly

_OPENAI = frozenset({BackendKind.OPENAI})
_ENGINES = frozenset({BackendKind.OPENAI_COMPATIBLE})
_OPENAI_FAMILY = _OPENAI | _ENGINES


@dataclass(frozen=True, slots=True)
class Rule:
    """Type and range of one pass-through key, and the dialects that get it.

    ``kind``: ``number`` (finite, in ``[low, high]``), ``boolean``, ``string``
    (at most ``MAX_STRING`` characters) or ``bias`` (token id -> number in
    ``[low, high]``, at most ``MAX_BIAS_ENTRIES`` entries; OpenAI ``logit_bias``).
    """

    kind: str
    dialects: frozenset[BackendKind]
    low: float = 0.0
    high: float = 0.0


RULES: dict[str, Rule] = {
    "min_p": Rule("number", _ENGINES, 0.0, 1.0),
    "typical_p": Rule("number", _ENGINES, 0.0, 1.0),
    "top_a": Rule("number", _ENGINES, 0.0, 1.0),
    "repetition_penalty": Rule("number", _ENGINES, 0.01, 10.0),
    "skip_special_tokens": Rule("boolean", _ENGINES),
    "include_stop_str_in_output": Rule("boolean", _ENGINES),
    "logit_bias": Rule("bias", _OPENAI_FAMILY, -100.0, 100.0),
    "prompt_cache_key": Rule("string", _OPENAI),
}

_OUTPUT = "set generation_config.max_output_tokens (the budget reserves it)"
_CANDIDATES = "set generation_config.candidate_count (validated, reserved)"
_STREAM = "the RPC decides streaming: call StreamChat (stream_options there)"
_REASONING = "set generation_config.reasoning"
_COST = "changes what a request costs; not a pass-through parameter"
_LENGTH = "forces output length; not a pass-through parameter"
_GATEWAY = "is set by the gateway; not a pass-through parameter"
_ATTRIBUTION = "set attribution.end_user_id"
_FORMAT = "set generation_config.response_format"
_TOOLS = "set tools / tool_choice"

REDIRECTS: dict[str, str] = {
    **dict.fromkeys(
        ("max_tokens", "max_completion_tokens", "max_new_tokens", "max_output_tokens"), _OUTPUT
    ),
    **dict.fromkeys(("n", "best_of", "candidate_count", "num_return_sequences"), _CANDIDATES),
    **dict.fromkeys(("stream", "stream_options"), _STREAM),
    **dict.fromkeys(("thinking", "reasoning", "reasoning_effort", "budget_tokens"), _REASONING),
    **dict.fromkeys(
        ("service_tier", "modalities", "audio", "prediction", "web_search_options"), _COST
    ),
    **dict.fromkeys(("min_tokens", "ignore_eos"), _LENGTH),
    **dict.fromkeys(("model", "messages", "prompt", "system", "store"), _GATEWAY),
    **dict.fromkeys(("user", "metadata", "safety_identifier"), _ATTRIBUTION),
    **dict.fromkeys(
        ("response_format", "guided_json", "guided_regex", "guided_grammar", "guided_choice"),
        _FORMAT,
    ),
    **dict.fromkeys(("tools", "tool_choice", "parallel_tool_calls", "functions"), _TOOLS),
    **{
        name: f"set generation_config.{name}"
        for name in (
            "temperature",
            "top_p",
            "top_k",
            "seed",
            "presence_penalty",
            "frequency_penalty",
            "logprobs",
            "top_logprobs",
        )
    },
    "stop": "set generation_config.stop_sequences",
}
_UNKNOWN = "not an allowed pass-through parameter (allowed: " + ", ".join(sorted(RULES)) + ")"


def json_number(value: float) -> int | float:
    """A Struct double as the JSON number the caller wrote: integral values
    (exactly representable) become ``int``, others stay ``float``."""
    if math.isfinite(value) and value.is_integer() and abs(value) < _EXACT_INTEGER:
        return int(value)
    return value


def check(params: Mapping[str, object], path: str) -> list[FieldViolation]:
    """One violation per refused key (``path.key``), empty when all are allowed."""
    if len(params) > MAX_KEYS:
        return [FieldViolation(path, f"at most {MAX_KEYS} keys", "TOO_MANY")]
    violations: list[FieldViolation] = []
    for key, value in params.items():
        where = f"{path}.{key[:100]}"
        rule = RULES.get(key)
        if rule is None:
            violations.append(
                FieldViolation(where, REDIRECTS.get(key.lower(), _UNKNOWN), "NOT_ALLOWED")
            )
            continue
        problem = _value_problem(rule, value)
        if problem is not None:
            violations.append(FieldViolation(where, problem, "VALUE_OUT_OF_RANGE"))
    return violations


def forwarded(params: Mapping[str, object], dialect: BackendKind) -> dict[str, object]:
    """The keys ``dialect`` understands (values already checked by ``check``);
    a key that is not allowed at all is never returned, whoever calls."""
    out: dict[str, object] = {}
    for key, value in params.items():
        rule = RULES.get(key)
        if rule is not None and dialect in rule.dialects and _value_problem(rule, value) is None:
            out[key] = value
    return out


def _value_problem(rule: Rule, value: object) -> str | None:
    if rule.kind == "number":
        return _number_problem(value, rule)
    if rule.kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if rule.kind == "string":
        ok = isinstance(value, str) and len(value) <= MAX_STRING
        return None if ok else f"must be a string of at most {MAX_STRING} characters"
    if not isinstance(value, Mapping) or len(value) > MAX_BIAS_ENTRIES:
        return f"must be an object of at most {MAX_BIAS_ENTRIES} token id -> number entries"
    for token, bias in value.items():
        if not (isinstance(token, str) and _TOKEN_ID.fullmatch(token)):
            return "keys must be token ids (decimal digits)"
        problem = _number_problem(bias, rule)
        if problem is not None:
            return problem
    return None


def _number_problem(value: object, rule: Rule) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number"
    if not (math.isfinite(value) and rule.low <= value <= rule.high):
        return f"must be a finite number in [{rule.low:g}, {rule.high:g}]"
    return None
