"""The ``llmgw`` command line: serve, chat, models."""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="llmgw: an LLM gateway served over gRPC.", no_args_is_help=True)
_err = Console(stderr=True)

AddressOption = Annotated[
    str, typer.Option("--address", "-a", help="Gateway data-plane address (host:port).")
]


@app.command()
def serve(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML config file.", exists=True)
    ] = None,
    listen: Annotated[
        str | None, typer.Option(help="Data-plane listen address [default: [::]:50051].")
    ] = None,
    admin_listen: Annotated[
        str | None, typer.Option(help="Admin-plane listen address [default: 127.0.0.1:50052].")
    ] = None,
    log_level: Annotated[str | None, typer.Option(help="debug|info|warning|error")] = None,
) -> None:
    """Run the gateway until SIGTERM/SIGINT (then drain and exit 0)."""
    from llmgw.app import run
    from llmgw.config import ConfigError

    try:
        code = run(config, listen=listen, admin_listen=admin_listen, log_level=log_level)
    except ConfigError as exc:
        _err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from exc
    raise typer.Exit(code)


@app.command()
def chat(
    model: Annotated[str, typer.Argument(help="Model id or alias, e.g. demo-chat, sonnet.")],
    prompt: Annotated[str, typer.Argument(help="The user message.")],
    address: AddressOption = "127.0.0.1:50051",
    system: Annotated[str, typer.Option(help="Optional system prompt.")] = "",
    max_tokens: Annotated[int | None, typer.Option(help="Max output tokens.")] = None,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
) -> None:
    """Stream an answer to the terminal, then print usage and cost."""
    from llmgw.api.cli_client import CallError, ChatSummary, stream_chat

    async def _run() -> ChatSummary | None:
        summary = None
        async for piece in stream_chat(
            address,
            model,
            prompt,
            system=system,
            max_output_tokens=max_tokens,
            temperature=temperature,
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
        _err.print(f"error: {exc}", highlight=False)
        raise typer.Exit(1) from exc
    if summary is not None:
        cost = format((Decimal(summary.cost_nanos) / Decimal(10**9)).normalize(), "f")
        flag = " (estimated)" if summary.cost_estimated else ""
        _err.print(
            f"[{summary.backend} {summary.model}] finish={summary.finish_reason} "
            f"tokens in={summary.input_tokens} out={summary.output_tokens} "
            f"cost={cost} {summary.currency}{flag}",
            highlight=False,
        )


@app.command()
def models(address: AddressOption = "127.0.0.1:50051") -> None:
    """List the models and aliases the gateway serves, with prices per million tokens."""
    from llmgw.api.cli_client import CallError, list_models

    try:
        rows = asyncio.run(list_models(address))
    except CallError as exc:
        _err.print(f"error: {exc}", highlight=False)
        raise typer.Exit(1) from exc
    table = Table("model", "type", "aliases", "in $/M", "out $/M", "name")
    for row in rows:
        table.add_row(
            row.id,
            row.type,
            ", ".join(row.aliases),
            row.input_per_million,
            row.output_per_million,
            row.display_name,
        )
    Console().print(table)
