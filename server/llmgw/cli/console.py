"""Rich output for the commands that print tables or coloured notes.

rich (with pygments, attrs and colorama behind it) is imported on the first
call, not when ``llmgw`` starts: ``llmgw serve`` parses its arguments with the
same typer app but never prints a table, and a module imported once stays
resident in the gateway for its whole life (~3 MiB for rich's stack).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def console(*, stderr: bool = False, width: int | None = None) -> Console:
    """A rich console on stdout (or stderr)."""
    from rich.console import Console

    return Console(stderr=stderr, width=width)


def err() -> Console:
    """A rich console on stderr: notes and errors beside the command's output."""
    return console(stderr=True)


def new_table(*headers: str, **options: Any) -> Table:
    """An empty rich table with these column headers."""
    from rich.table import Table

    return Table(*headers, **options)
