"""Every ``llmgw`` and ``grpcurl`` command README.md shows, run as written
(issue 11 item 7): against the gateway the README's Set-up starts (loopback,
auth off, demo backend), or against what its ``# needs:`` line or its block's
own ``llmgw serve`` names (``readme_commands`` for the conventions,
``readme_session`` for how they are met here).

Each command must exit 0, or the code its trailing ``# exit N`` documents
(with the status it names in its output). Where the README says what a
command shows, a check below holds it to that, mostly by comparing the
answer with the command's own request (the route it switched, the endpoint
it set, the key id it created). A grpcurl RPC without a check of its own must
still print a JSON answer.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from readme_commands import (
    Command,
    ReadmeSyntaxError,
    fenced_blocks,
    readme_commands,
    stray_commands,
)
from readme_session import BIN, REPO, UPSTREAM_KEY, Session, base_env

README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = readme_commands(README)

Result = subprocess.CompletedProcess[str]


# --- the parser and the README's shape (no processes) ------------------------


def test_every_readme_command_is_in_a_shell_block_the_test_runs() -> None:
    assert stray_commands(README) == []
    serves = [c for c in COMMANDS if c.starts_gateway]
    # The Set-up's plain `llmgw serve` is the default gateway everything else assumes.
    assert serves and serves[0].argv == ("llmgw", "serve") and serves[0].line < 40
    assert len(COMMANDS) >= 25, [c.text for c in COMMANDS]


def test_parser_joins_continuations_and_quoted_lines_and_reads_the_directives() -> None:
    text = "\n".join(
        [
            "```bash",
            'export TOKEN="$(echo abc)"',
            'grpcurl -d \'{"a":',
            '  "b # not a comment"}\' \\',
            "  localhost:50052 x.Y/Z   # trailing note",
            "# needs: vllm, env KEY_A (why), upstream http://h:8000",
            "pip install x && llmgw serve --config c.yaml &",
            'A=1 llmgw chat m "p"   # exit 1: INVALID_ARGUMENT, refused',
            "```",
            "```yaml",
            "key: value",
            "```",
            "```",
            "llmgw models   # a plain fence: not run, so reported",
            "```",
        ]
    )
    first, serve, chat = readme_commands(text)
    assert first.argv == (
        "grpcurl",
        "-d",
        '{"a":\n  "b # not a comment"}',
        "localhost:50052",
        "x.Y/Z",
    )
    assert (first.line, first.needs, first.exit_code, first.exports[0][0]) == (3, (), 0, "TOKEN")
    assert serve.starts_gateway and serve.background and serve.server is None
    assert serve.needs == ("vllm", "env KEY_A", "upstream http://h:8000")
    assert chat.server is serve and chat.assignments == (("A", "1"),)
    assert (chat.exit_code, chat.expected_text, chat.line) == (1, "INVALID_ARGUMENT", 8)
    assert stray_commands(text) == [14]


@pytest.mark.parametrize(
    "body",
    [
        "llmgw keys list [--all]",
        "llmgw keys rotate <key-id>",
        "grpcurl $ADDRESS list",
        "# needs: a GPU\nllmgw models",
        'grpcurl -d \'{"open": 1}',
    ],
)
def test_parser_refuses_what_would_not_run_as_shown(body: str) -> None:
    with pytest.raises(ReadmeSyntaxError):
        readme_commands(f"```sh\n{body}\n```\n")


def test_a_fence_glued_to_prose_is_refused() -> None:
    with pytest.raises(ReadmeSyntaxError, match="line 3"):
        fenced_blocks("```bash\nllmgw models\n``` Health is the standard\n\n```\n")


# --- running them --------------------------------------------------------------


@pytest.fixture(scope="module")
def readme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    default = next(c for c in COMMANDS if c.starts_gateway)
    session = Session(tmp_path_factory.mktemp("readme"), default)
    try:
        session.start(COMMANDS)
        yield session
    finally:
        stopped = session.close()
    failed = {text: logs for text, (code, logs) in stopped.items() if code != 0}
    assert not failed, f"gateways that did not exit 0 on SIGTERM: {failed}"


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: f"L{c.line}-{_kind(c.argv)}")
def test_readme_command(command: Command, readme: Session) -> None:
    if command.starts_gateway:
        gateway = readme.gateway(command)
        health = subprocess.run(
            [str(BIN / "llmgw"), "health", "--address", gateway.address, "--service", "readiness"],
            env=base_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert gateway.process.poll() is None, gateway.logs()
        assert health.returncode == 0, (health.stdout, gateway.logs())
        return
    result = readme.run(command)
    shown = f"$ {command.text}\nexit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert result.returncode == command.exit_code, shown
    for secret in (*readme.exports.values(), UPSTREAM_KEY):
        assert secret not in result.stdout + result.stderr, "a secret was printed"
    if command.exit_code:
        assert command.expected_text in result.stdout + result.stderr, shown
        return
    argv = [str(word) for word in result.args]  # as run: addresses and upstreams rewritten
    check = CHECKS.get(_kind(command.argv))
    if check is not None:
        check(argv, result)
    elif command.argv[0] == "grpcurl":
        assert isinstance(json.loads(result.stdout), dict), shown


# --- what the README says each command shows ----------------------------------


def _kind(argv: tuple[str, ...] | list[str]) -> str:
    if argv[0] == "grpcurl":
        return argv[-1].rsplit("/", 1)[-1]
    if argv[1] == "serve":
        return "serve check-config" if "--check-config" in argv else "serve"
    if argv[1] in ("keys", "route") and len(argv) > 2:
        return f"{argv[1]} {argv[2]}"
    return argv[1]


def _body(argv: list[str]) -> dict[str, Any]:
    return json.loads(argv[argv.index("-d") + 1]) if "-d" in argv else {}


def _answer(result: Result) -> dict[str, Any]:
    answer = json.loads(result.stdout)
    assert isinstance(answer, dict)
    return answer


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def _time(text: str) -> datetime:
    """RFC 3339 as grpcurl prints it (nanoseconds cut to microseconds)."""
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d*", r"\1", text).replace("Z", "+00:00"))


def _list(argv: list[str], result: Result) -> None:
    services = set(result.stdout.split())
    assert {"llmgateway.v1.GatewayService", "grpc.health.v1.Health"} <= services


def _chat(argv: list[str], result: Result) -> None:
    answer = _answer(result)
    assert answer["candidates"][0]["message"]["parts"][0]["text"]
    assert int(answer["usage"]["output_token_count"]) > 0 and "cost" in answer


def _health_check(argv: list[str], result: Result) -> None:
    assert _answer(result) == {"status": "SERVING"}


def _breakers(state: str) -> Callable[[list[str], Result], None]:
    def check(argv: list[str], result: Result) -> None:
        breakers = _answer(result)["circuit_breakers"]
        assert breakers and {b["state"] for b in breakers} == {state}

    return check


def _get_health(argv: list[str], result: Result) -> None:
    answer = _answer(result)
    assert answer["gateway_state"] == "HEALTH_STATE_HEALTHY"
    assert "demo" in {b["backend"] for b in answer["backends"]}


def _switch(argv: list[str], result: Result) -> None:
    body, route = _body(argv), _answer(result)["route"]
    assert route["name"] == body["route"]
    assert route["active_override"]["target"]["backend"] == body["backend"]
    assert route["active_override"]["reason"] == body["reason"]
    ttl = _time(route["active_override"]["expire_time"]) - _time(
        route["active_override"]["create_time"]
    )
    assert ttl == timedelta(seconds=float(body["ttl"].removesuffix("s")))


def _update_backend(argv: list[str], result: Result) -> None:
    body, backend = _body(argv)["backend"], _answer(result)["backend"]
    assert (backend["name"], backend["endpoint_uri"]) == (body["name"], body["endpointUri"])


def _create_backend(argv: list[str], result: Result) -> None:
    body, backend = _body(argv), _answer(result)["backend"]
    assert backend["name"] == f"backends/{body['backendId']}"
    assert backend["endpoint_uri"] == body["backend"]["endpointUri"]
    served = [m["model_id"] for m in backend["served_models"]]
    assert served == [m["modelId"] for m in body["backend"]["servedModels"]]


def _costs(argv: list[str], result: Result) -> None:
    answer = _answer(result)
    assert answer["total_cost"]["currency_code"] == answer["grand_total_cost"]["currency_code"]


def _update_budget(argv: list[str], result: Result) -> None:
    body, budget = _body(argv)["budget"], _answer(result)["budget"]
    assert (budget["name"], budget["project"], budget["period"]) == (
        body["name"],
        body["project"],
        body["period"],
    )
    assert budget["limit"]["units"] == body["limit"]["units"]


def _recommendations(argv: list[str], result: Result) -> None:
    answer = _answer(result)
    window = _time(answer["end_time"]) - _time(answer["start_time"])
    assert window == timedelta(days=_body(argv)["lookbackDays"])


def _audit(argv: list[str], result: Result) -> None:
    body, events = _body(argv), _answer(result).get("events", [])
    assert len(events) <= body["pageSize"]
    assert all(e["action"] == body["action"] for e in events)


def _models(argv: list[str], result: Result) -> None:
    assert "demo-chat" in result.stdout and "demo-embedding" in result.stdout


def _cli_chat(argv: list[str], result: Result) -> None:
    # "streams tokens, then [backend model], usage, cost"
    assert result.stdout.strip()
    summary = r"^\[\S+ \S+\] finish=\w+ tokens in=\d+ out=[1-9]\d* cost=[\d.]+ [A-Z]{3}"
    assert re.search(summary, result.stderr, re.MULTILINE), result.stderr


def _explain(argv: list[str], result: Result) -> None:
    assert f"alias={argv[3]}" in result.stdout and "CAPABILITY:ok" in result.stdout


def _secret_once(argv: list[str], result: Result) -> None:
    # "prints the secret once"
    assert re.search(r"^secret: llmgw_\S{20,}$", result.stdout, re.MULTILINE), result.stdout
    assert "shown only once" in result.stderr


def _keys_created(argv: list[str], result: Result) -> None:
    _secret_once(argv, result)
    assert _option(argv, "--key-id") in result.stdout


def _keys_list(argv: list[str], result: Result) -> None:
    rows = json.loads(result.stdout)
    assert rows and {r["tenant"] for r in rows} == {_option(argv, "--tenant")}
    # "never shows secrets": at most the prefix that helps recognise one
    assert not any(r["secret"] for r in rows) and all(len(r["secret_prefix"]) < 16 for r in rows)


def _keys_rotated(argv: list[str], result: Result) -> None:
    _secret_once(argv, result)
    assert argv[3] in result.stdout


def _keys_revoked(argv: list[str], result: Result) -> None:
    assert "revoked" in result.stdout and "secret:" not in result.stdout


def _cli_health(argv: list[str], result: Result) -> None:
    # "exit 0 only for SERVING ... one line on stdout"
    assert result.stdout.count("\n") == 1 and result.stdout.endswith(": SERVING\n")


def _check_config(argv: list[str], result: Result) -> None:
    assert result.stdout.startswith(f"config OK: {_option(argv, '--config')}")


CHECKS: dict[str, Callable[[list[str], Result], None]] = {
    "list": _list,
    "Chat": _chat,
    "Check": _health_check,
    "OpenCircuitBreaker": _breakers("CIRCUIT_STATE_OPEN"),
    "ResetCircuitBreaker": _breakers("CIRCUIT_STATE_CLOSED"),
    "GetHealth": _get_health,
    "SwitchBackend": _switch,
    "UpdateBackend": _update_backend,
    "CreateBackend": _create_backend,
    "GetCosts": _costs,
    "UpdateBudget": _update_budget,
    "ListRecommendations": _recommendations,
    "ListAuditEvents": _audit,
    "models": _models,
    "chat": _cli_chat,
    "route explain": _explain,
    "keys create": _keys_created,
    "keys list": _keys_list,
    "keys rotate": _keys_rotated,
    "keys revoke": _keys_revoked,
    "health": _cli_health,
    "serve check-config": _check_config,
}
