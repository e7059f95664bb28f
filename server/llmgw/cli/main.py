"""The ``llmgw`` command line: serve, chat, models."""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from llmgw.cli.console import console, err, new_table
from llmgw.cli.health import health
from llmgw.cli.serve_process import ServeOptions, can_exec, check_serve_config, exec_serve
from llmgw.cli.serve_process import serve as serve_in_process

app = typer.Typer(help="llmgw: an LLM gateway served over gRPC.", no_args_is_help=True)
# ``ctx.obj`` when the ``llmgw`` program runs the app (``main``), not a host program.
PROCESS_MAIN = "llmgw-process-main"


def main() -> None:
    """The ``llmgw`` program (console script and ``python -m llmgw``)."""
    app(obj=PROCESS_MAIN)


AddressOption = Annotated[
    str,
    typer.Option(
        "--address",
        "-a",
        envvar="LLMGW_ADDRESS",
        help="Gateway data-plane address (host:port).",
    ),
]
TlsCertOption = Annotated[
    Path | None,
    typer.Option("--tls-cert", help="Serve TLS on both ports with this PEM chain.", exists=True),
]
TlsKeyOption = Annotated[
    Path | None, typer.Option("--tls-key", help="PEM private key of --tls-cert.", exists=True)
]
TlsClientCaOption = Annotated[
    Path | None,
    typer.Option(
        "--tls-client-ca",
        help="Require client certificates signed by these CAs (mTLS); "
        "tls.identities in the config map them to principals.",
        exists=True,
    ),
]


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


def _fail(message: str, code: int) -> typer.Exit:
    """Print one plain line (no markup, no wrapping) to stderr; the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


ConfigFileOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML config file.", exists=True)
]
ListenOption = Annotated[
    str | None, typer.Option(help="Data-plane listen address [default: 127.0.0.1:50051].")
]
AdminListenOption = Annotated[
    str | None, typer.Option(help="Admin-plane listen address [default: 127.0.0.1:50052].")
]
LogLevelOption = Annotated[LogLevel | None, typer.Option(case_sensitive=False, help="Log level.")]
InsecureOption = Annotated[
    bool,
    typer.Option(
        "--insecure-no-auth",
        help="Allow a non-loopback listener with authentication off (anyone can call it).",
    ),
]
_METRICS_HELP = 'Prometheus /metrics address, "" for none [default: 127.0.0.1:9464].'
MetricsListenOption = Annotated[str | None, typer.Option(help=_METRICS_HELP)]
CheckConfigOption = Annotated[
    bool, typer.Option("--check-config", help="Validate config and env, then exit (0 or 2).")
]


@app.command()
def serve(
    ctx: typer.Context,
    config: ConfigFileOption = None,
    listen: ListenOption = None,
    admin_listen: AdminListenOption = None,
    log_level: LogLevelOption = None,
    metrics_listen: MetricsListenOption = None,
    insecure_no_auth: InsecureOption = False,
    tls_cert: TlsCertOption = None,
    tls_key: TlsKeyOption = None,
    tls_client_ca: TlsClientCaOption = None,
    check_config: CheckConfigOption = False,
) -> None:
    """Run the gateway until SIGTERM/SIGINT (then drain and exit 0)."""
    options = ServeOptions(
        config=str(config) if config is not None else None,
        listen=listen,
        admin_listen=admin_listen,
        log_level=log_level.value if log_level else None,
        metrics_listen=metrics_listen,
        insecure_no_auth=insecure_no_auth,
        tls=_tls_flags(cert_file=tls_cert, key_file=tls_key, client_ca_file=tls_client_ca),
    )
    if check_config:
        raise typer.Exit(check_serve_config(options))
    if ctx.obj is PROCESS_MAIN and can_exec():  # the llmgw program: serve in a lean image
        exec_serve(options)
    raise typer.Exit(serve_in_process(options))


def _tls_flags(**paths: Path | None) -> dict[str, str]:
    """The ``--tls-*`` flags given, as ``tls:`` config keys."""
    return {key: str(path) for key, path in paths.items() if path is not None}


@app.command()
def chat(
    model: Annotated[str, typer.Argument(help="Model id or alias, e.g. demo-chat, sonnet.")],
    prompt: Annotated[str, typer.Argument(help="The user message.")],
    address: AddressOption = "127.0.0.1:50051",
    system: Annotated[str, typer.Option(help="Optional system prompt.")] = "",
    max_tokens: Annotated[int | None, typer.Option(help="Max output tokens.")] = None,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
    key: Annotated[
        str, typer.Option("--key", envvar="LLMGW_API_KEY", help="API key.", show_default=False)
    ] = "",
) -> None:
    """Stream an answer to the terminal, then print usage and cost."""
    from llmgw.cli.client import CallError, ChatSummary, stream_chat

    async def _run() -> ChatSummary | None:
        summary = None
        async for piece in stream_chat(
            address,
            model,
            prompt,
            system=system,
            max_output_tokens=max_tokens,
            temperature=temperature,
            key=key,
        ):
            if isinstance(piece, str):
                sys.stdout.write(piece)
                sys.stdout.flush()
            else:
                summary = piece
        sys.stdout.write("\n")
        return summary

    try:
        summary = asyncio.run(_run())
    except CallError as exc:
        raise _fail(f"{exc}{_did_you_mean(exc, address, model, key)}", 1) from None
    if summary is not None:
        cost = format((Decimal(summary.cost_nanos) / Decimal(10**9)).normalize(), "f")
        flag = " (estimated)" if summary.cost_estimated else ""
        err().print(
            f"[{summary.backend} {summary.model}] finish={summary.finish_reason} "
            f"tokens in={summary.input_tokens} out={summary.output_tokens} "
            f"cost={cost} {summary.currency}{flag}",
            highlight=False,
            markup=False,  # "[backend model]" is text, not rich markup
        )


def _did_you_mean(exc: Any, address: str, model: str, key: str) -> str:
    """For an unknown model: the closest names the gateway serves, else ""."""
    from llmgw.cli.client import suggest

    if exc.code != "NOT_FOUND":
        return ""
    names = asyncio.run(suggest(address, model, key))
    return f" (did you mean: {', '.join(names)}?)" if names else ""


@app.command()
def models(
    address: AddressOption = "127.0.0.1:50051",
    key: Annotated[
        str, typer.Option("--key", envvar="LLMGW_API_KEY", help="API key.", show_default=False)
    ] = "",
) -> None:
    """List the models and aliases the gateway serves, with prices per million tokens."""
    from llmgw.cli.client import CallError, list_models

    try:
        rows = asyncio.run(list_models(address, key=key))
    except CallError as exc:
        raise _fail(str(exc), 1) from None
    table = new_table()
    # Ids are what a caller copies: never cut; long text wraps instead (80 columns).
    longest = max((len(row.id) for row in rows), default=5)
    table.add_column("model", no_wrap=True, min_width=longest)
    for header in ("type", "aliases", "in $/M", "out $/M", "context", "max out"):
        table.add_column(header, overflow="fold")
    table.add_column("capabilities", overflow="fold")
    table.add_column("name", overflow="fold")
    for row in rows:
        table.add_row(
            row.id,
            row.type,
            ", ".join(row.aliases),
            row.input_per_million,
            row.output_per_million,
            str(row.context_window or "-"),
            str(row.max_output_tokens or "-"),
            " ".join(row.capabilities),
            row.display_name,
        )
    console().print(table)


# --- llmgw keys: gateway API keys through the admin plane -------------------

keys_app = typer.Typer(help="Gateway API keys (admin plane): create, list, rotate, revoke.")
app.add_typer(keys_app, name="keys")

AdminOption = Annotated[
    str,
    typer.Option("--admin", envvar="LLMGW_ADMIN_ADDRESS", help="Admin-plane address (host:port)."),
]
KeyOption = Annotated[
    str,
    typer.Option(
        "--key",
        envvar=["LLMGW_API_KEY", "LLMGW_ADMIN_KEY"],
        show_envvar=True,
        help="Admin credential (admin:read to list, admin:write to change).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(text: str) -> float:
    """``90s``, ``15m``, ``12h``, ``30d`` or plain seconds."""
    text = text.strip().lower()
    unit = _DURATION_UNITS.get(text[-1:], 0)
    try:
        return float(text[:-1]) * unit if unit else float(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a duration like 30d, 12h, 15m, 90s") from None


def _key_call(coro: Any) -> Any:
    from llmgw.cli.client import CallError

    try:
        return asyncio.run(coro)
    except CallError as exc:
        raise _fail(str(exc), 1) from None


def _print_keys(rows: list[Any], as_json: bool) -> None:
    import dataclasses
    import json

    if as_json:
        items = []
        for row in rows:
            item = dataclasses.asdict(row)
            if not item["secret"]:
                del item["secret"]
            items.append(item)
        sys.stdout.write(json.dumps(items if len(items) != 1 else items[0], indent=2) + "\n")
        return
    # The key id is what `keys rotate` / `keys revoke` take: never cut (as model ids).
    longest = max((len(row.key_id) for row in rows), default=6)
    table = new_table()
    table.add_column("key id", no_wrap=True, min_width=longest)
    for header in ("tenant", "state", "scopes", "prefix", "project", "expires", "created"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(
            row.key_id,
            row.tenant,
            row.state,
            " ".join(row.scopes),
            row.secret_prefix,
            row.project,
            row.expire_time,
            row.create_time,
        )
    console().print(table)
    for row in rows:
        if row.secret:
            sys.stdout.write(f"secret: {row.secret}\n")
            err().print("Store this secret now: it is shown only once.", highlight=False)


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="Tenant the key belongs to.")],
    scope: Annotated[
        list[str], typer.Option(help="chat, embed, admin:read, admin:write (repeat).")
    ] = ["chat", "embed"],  # noqa: B006 - typer reads the default, never mutates it
    key_id: Annotated[str, typer.Option(help="Key id (generated when empty).")] = "",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    project: Annotated[str, typer.Option(help="Default project billed.")] = "",
    allow_project: Annotated[
        list[str] | None, typer.Option(help="Further project it may bill (repeat).")
    ] = None,
    user: Annotated[str, typer.Option(help="Fixed end user of this key.")] = "",
    model: Annotated[
        list[str] | None, typer.Option(help="Allowed model or alias (repeat; none = all).")
    ] = None,
    rpm: Annotated[int, typer.Option(help="Requests per minute (0 = unlimited).")] = 0,
    input_tpm: Annotated[int, typer.Option(help="Input tokens per minute.")] = 0,
    output_tpm: Annotated[int, typer.Option(help="Output tokens per minute.")] = 0,
    expires_in: Annotated[str, typer.Option(help="Lifetime, e.g. 30d (empty = never).")] = "",
    admin: AdminOption = "127.0.0.1:50052",
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Create a key; its secret is printed once (only its hash is stored)."""
    from llmgw.cli.key_client import NewKey, create_key

    new = NewKey(
        tenant=tenant,
        scopes=scope,
        key_id=key_id,
        display_name=name,
        project=project,
        allowed_projects=allow_project or (),
        end_user=user,
        models=model or (),
        rpm=rpm,
        input_tpm=input_tpm,
        output_tpm=output_tpm,
        expire_seconds=_seconds(expires_in) if expires_in else 0.0,
    )
    _print_keys([_key_call(create_key(admin, key, new))], as_json)


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str, typer.Option(help="Only keys of this tenant.")] = "",
    show_all: Annotated[bool, typer.Option("--all", help="Include revoked and expired.")] = False,
    admin: AdminOption = "127.0.0.1:50052",
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """List keys (never their secrets; the prefix helps recognise one)."""
    from llmgw.cli.key_client import list_keys

    listing = _key_call(list_keys(admin, key, tenant=tenant, show_inactive=show_all))
    rows = listing.rows
    if listing.authentication_disabled:
        err().print(
            "note: authentication is off on this gateway: every caller is anonymous with every "
            "scope, so these keys are not required (turn auth on: set LLMGW_ADMIN_KEY or "
            "auth.enabled).",
            highlight=False,
            markup=False,
        )
    if as_json:
        import dataclasses
        import json

        sys.stdout.write(json.dumps([dataclasses.asdict(r) for r in rows], indent=2) + "\n")
    else:
        _print_keys(rows, False)


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="Key id (or apiKeys/<id>).")],
    grace: Annotated[
        str, typer.Option(help="How long the old secret keeps working, e.g. 1h (default: 0).")
    ] = "",
    admin: AdminOption = "127.0.0.1:50052",
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """New secret for the same key (limits and scopes kept), printed once."""
    from llmgw.cli.key_client import rotate_key

    seconds = _seconds(grace) if grace else 0.0
    _print_keys([_key_call(rotate_key(admin, key, key_id, seconds))], as_json)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="Key id (or apiKeys/<id>).")],
    admin: AdminOption = "127.0.0.1:50052",
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Revoke a key: it stops authenticating (other replicas: within the cache TTL)."""
    from llmgw.cli.key_client import revoke_key

    _print_keys([_key_call(revoke_key(admin, key, key_id))], as_json)


app.command(name="health")(health)


# --- llmgw route: routing diagnostics through the admin plane ---------------

route_app = typer.Typer(help="Routing diagnostics (admin plane).")
app.add_typer(route_app, name="route")


@route_app.command("explain")
def route_explain(
    model: Annotated[str, typer.Argument(help="Model id or alias.")],
    prompt: Annotated[str, typer.Argument(help="The user message (only its size matters).")],
    admin: AdminOption = "127.0.0.1:50052",
    key: KeyOption = "",
) -> None:
    """The targets a chat request would try, in order, with each check's verdict,
    estimated cost and the strategy's score. Calls no upstream, bills nothing."""
    from llmgw.cli.client import explain_route

    alias, strategy, tokens, rows = _key_call(explain_route(admin, model, prompt, key))
    console().print(
        f"alias={alias or '-'} strategy={strategy or 'chain order'} input_tokens~{tokens}",
        highlight=False,
    )
    table = new_table("#", "backend", "model", "est. cost", "score", "circuit", "checks")
    for row in rows:
        checks = " ".join(
            f"{name}:ok" if passed else f"{name}:FAIL ({detail})"
            for name, passed, detail in row.checks
        )
        place = str(row.position) if row.position else "-"
        score = f"{row.score:g}" if row.position else "-"
        table.add_row(place, row.backend, row.model, row.cost, score, row.circuit, checks)
    console(width=200).print(table)
