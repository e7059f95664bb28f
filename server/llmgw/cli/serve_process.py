"""``llmgw serve`` in a lean process image: the server keeps no CLI parser.

A Python process never gives an imported module back, so a gateway started
through the typer app would carry typer, click and the CLI's commands
(~2 MiB resident) for its whole life while using them for a few
milliseconds at start. So ``llmgw serve``, started as a program (the
``llmgw`` script or ``python -m llmgw``), parses its flags with typer and
then replaces its process image (``os.execve``: same PID, same stdin, stdout
and stderr, signals and exit code seen by whoever started it) with
``python -m llmgw.cli.serve_process OPTIONS``, where ``OPTIONS`` are the
parsed flags as JSON (paths and addresses, never a secret). That image
imports what serving needs and nothing of the CLI.

The image also gets ``MALLOC_ARENA_MAX=2`` unless the environment sets it:
glibc otherwise gives each of gRPC's threads its own malloc arena (up to
eight per core), about 1 MiB resident for no measurable gain in a process
whose Python work runs on one thread.

Called from another program (typer's ``CliRunner`` in tests, an embedding
application), the command serves in the caller's process instead: replacing
a host program's image is never right. Interpreter flags (``-X``, ``-W``)
given on the original command line do not reach the new image; the
``PYTHON*`` environment variables do.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NoReturn

_MALLOC_ARENAS = "2"


@dataclass(frozen=True)
class ServeOptions:
    """The flags of ``llmgw serve`` once typer has parsed and checked them."""

    config: str | None = None
    listen: str | None = None
    admin_listen: str | None = None
    log_level: str | None = None
    metrics_listen: str | None = None
    insecure_no_auth: bool = False
    tls: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        return cls(**json.loads(text))


def serve(options: ServeOptions) -> int:
    """Run the gateway until SIGTERM/SIGINT; the process exit code. An
    unusable configuration or a listen address that cannot be bound prints
    one error line on stderr and returns 2."""
    from llmgw.app import run

    return _refusing(
        lambda: run(
            _config_path(options),
            listen=options.listen,
            admin_listen=options.admin_listen,
            log_level=options.log_level,
            insecure_no_auth=options.insecure_no_auth,
            tls=options.tls,
            metrics_listen=options.metrics_listen,
        )
    )


def check_serve_config(options: ServeOptions) -> int:
    """``serve --check-config``: validate the configuration and environment
    as ``serve`` would, print the summary; 0, or 2 with one error line."""
    from llmgw.app import check_config

    given = (
        ("listen", options.listen),
        ("admin_listen", options.admin_listen),
        ("log_level", options.log_level),
    )
    overrides = {k: v for k, v in given if v is not None}

    def check() -> int:
        summary = check_config(
            _config_path(options),
            overrides=overrides,
            tls=options.tls,
            insecure_no_auth=options.insecure_no_auth,
        )
        print(summary, flush=True)
        return 0

    return _refusing(check)


def _refusing(command: Callable[[], int]) -> int:
    """``command``'s exit code; 2, with the error on stderr, for an unusable
    configuration (``ConfigError``) or an address that cannot be bound."""
    from llmgw.config import ConfigError

    try:
        return command()
    except ConfigError as exc:
        from llmgw.cli.console import err  # rich, imported on this path only

        err().print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        return 2
    except OSError as exc:  # a listen address is taken or cannot be bound
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2


def can_exec() -> bool:
    """Whether this process can replace its image keeping its PID: POSIX,
    with a known interpreter path (not an embedded or frozen Python)."""
    return os.name == "posix" and bool(sys.executable)


def exec_serve(options: ServeOptions) -> NoReturn:
    """Replace this process's image with ``serve(options)`` in a fresh
    interpreter (see the module docstring); never returns."""
    sys.stdout.flush()
    sys.stderr.flush()
    environment = dict(os.environ)
    environment.setdefault("MALLOC_ARENA_MAX", _MALLOC_ARENAS)
    argv = [sys.executable, "-m", __name__, options.to_json()]
    os.execve(sys.executable, argv, environment)


def _config_path(options: ServeOptions) -> Path | None:
    return Path(options.config) if options.config is not None else None


def main(argv: list[str]) -> int:
    """The new image's entry: ``argv`` holds ``ServeOptions`` as JSON."""
    if len(argv) != 1:
        print("usage: python -m llmgw.cli.serve_process OPTIONS_JSON", file=sys.stderr)
        return 2
    return serve(ServeOptions.from_json(argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
