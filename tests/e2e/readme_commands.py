"""The commands README.md shows, as data: parsed from its ```bash / ```sh blocks.

Pure text handling (no processes): ``test_readme_commands.py`` runs what this
returns. What counts as a command, and the README's conventions for what a
command needs:

* a logical line is physical lines joined while one ends in ``\\`` or a quote
  is still open (JSON bodies span lines inside single quotes, as in bash);
* it is split at ``&&``, ``||``, ``;``, ``|`` and ``&``; a segment whose
  program (after leading ``NAME=value`` assignments) is ``llmgw`` or
  ``grpcurl`` is a README command, anything else (``pip install``, ``docker
  build``, ...) is set-up the reader does and is not run;
* ``export NAME=...`` lines are kept in order: later commands of the block
  (and a gateway the block starts) see the variable;
* ``# needs: item, item`` (a whole comment line) names what the following
  commands of its block need beyond the default gateway, until the next
  ``# needs:`` line. Items: ``vllm`` (a backend named vllm), ``env NAME``
  (NAME set for the gateway), ``upstream URL`` (a server answering at URL's
  origin); text in parentheses is a note for the reader;
* a trailing ``# exit N`` (or ``# exit N: WORD ...``) is the exit code the
  command documents, and WORD a text its output contains;
* ``llmgw serve`` (without ``--check-config``) starts a gateway: the commands
  after it in its block run against that gateway.

Anything else a shell would interpret (redirections, ``<placeholder>``,
``$VAR``) is refused with the line number, so a synopsis cannot pass for a
runnable command.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

PROGRAMS = ("llmgw", "grpcurl")
SHELLS = ("bash", "sh")
NEED_KINDS = ("vllm", "env", "upstream")
_SEPARATORS = ("&&", "||", ";", "|", "&")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
_EXIT = re.compile(r"^exit (\d+)(?::\s*(\S+))?")
_EXPORT = re.compile(r"^export ([A-Za-z_][A-Za-z0-9_]*)=")


class ReadmeSyntaxError(ValueError):
    """The README holds something this parser (and so the test) cannot run."""


@dataclass(frozen=True)
class Block:
    info: str  # the fence's language: bash, sh, yaml, ...
    line: int  # 1-based line of the first content line
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Command:
    line: int  # 1-based README line where the command starts
    argv: tuple[str, ...]  # program and arguments, shell quoting removed
    assignments: tuple[tuple[str, str], ...]  # leading NAME=value
    exports: tuple[tuple[str, str], ...]  # (NAME, the export line) earlier in the block
    needs: tuple[str, ...]  # the ``# needs:`` items in force
    server: Command | None  # the block's ``llmgw serve`` this runs against
    exit_code: int = 0
    expected_text: str = ""  # WORD of ``# exit N: WORD``
    background: bool = False

    @property
    def starts_gateway(self) -> bool:
        return self.argv[:2] == ("llmgw", "serve") and "--check-config" not in self.argv

    @property
    def text(self) -> str:
        return shlex.join(self.argv)


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced code block; a fence line with trailing text inside a
    block (a closing fence glued to prose) is an error."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        index += 1
        if opening is None:
            continue
        start, body = index, []
        while index < len(lines) and not re.match(r"^\s*```\s*$", lines[index]):
            if lines[index].lstrip().startswith("```"):
                raise ReadmeSyntaxError(f"line {index + 1}: malformed code fence {lines[index]!r}")
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise ReadmeSyntaxError(f"line {start}: code block never closed")
        index += 1
        indent = len(opening.group(1))
        blocks.append(Block(opening.group(2), start + 1, tuple(s[indent:] for s in body)))
    return blocks


def readme_commands(text: str) -> list[Command]:
    """The llmgw/grpcurl commands of every bash/sh block, in README order."""
    found: list[Command] = []
    for block in fenced_blocks(text):
        if block.info in SHELLS:
            found.extend(_block_commands(block))
    return found


def stray_commands(text: str) -> list[int]:
    """Lines in non-shell blocks that start with llmgw/grpcurl (which the test
    would not run): the README must fence them as bash."""
    stray = []
    for block in fenced_blocks(text):
        if block.info in SHELLS:
            continue
        for offset, line in enumerate(block.lines):
            words = [w for w in line.split() if not _ASSIGNMENT.match(w)]
            if words and words[0] in PROGRAMS:
                stray.append(block.line + offset)
    return stray


def parse_needs(items: tuple[str, ...]) -> list[tuple[str, str]]:
    """``("vllm", "env X")`` -> ``[("vllm", ""), ("env", "X")]``; unknown kinds raise."""
    parsed = []
    for item in items:
        kind, _, argument = item.partition(" ")
        if kind not in NEED_KINDS or (kind != "vllm") != bool(argument.strip()):
            raise ReadmeSyntaxError(f"unknown requirement {item!r} (known: {NEED_KINDS})")
        parsed.append((kind, argument.strip()))
    return parsed


def _block_commands(block: Block) -> list[Command]:
    found: list[Command] = []
    needs: tuple[str, ...] = ()
    exports: list[tuple[str, str]] = []
    server: Command | None = None
    for line, raw in _logical_lines(block):
        code, comments = _split_comments(raw)
        if not code.strip():
            for comment in comments:
                if comment.startswith("needs:"):
                    needs = _needs_items(comment.removeprefix("needs:"))
            continue
        export = _EXPORT.match(code.strip())
        if export:
            exports.append((export.group(1), code.strip()))
            continue
        for command in _segments(line, code, comments, needs, tuple(exports), server):
            found.append(command)
            if command.starts_gateway:
                server = command
    return found


def _needs_items(text: str) -> tuple[str, ...]:
    text = re.sub(r"\([^)]*\)", "", text)
    items = tuple(item.strip() for item in text.split(",") if item.strip())
    parse_needs(items)
    return items


def _logical_lines(block: Block) -> list[tuple[int, str]]:
    logical: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for offset, line in enumerate(block.lines):
        if not pending:
            start = block.line + offset
        pending.append(line)
        joined = "\n".join(pending)
        if joined.endswith("\\") or _scan(joined)[1]:
            continue
        logical.append((start, joined))
        pending = []
    if pending:
        raise ReadmeSyntaxError(f"line {start}: command never ends (open quote or trailing \\)")
    return logical


def _split_comments(raw: str) -> tuple[str, list[str]]:
    """The code without comments, and each comment's text (without ``#``)."""
    spans, _ = _scan(raw)
    code, comments, last = [], [], 0
    for begin, end in spans:
        code.append(raw[last:begin])
        comments.append(raw[begin + 1 : end].strip())
        last = end
    code.append(raw[last:])
    return "".join(code), comments


def _scan(text: str) -> tuple[list[tuple[int, int]], bool]:
    """Comment spans outside quotes (bash rules: ``#`` at a word start), and
    whether a quote is still open at the end."""
    spans: list[tuple[int, int]] = []
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote == "'":
            quote = "" if char == "'" else quote
        elif char == "\\":
            index += 1  # escapes the next character (outside single quotes)
        elif quote == '"':
            quote = "" if char == '"' else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1] in " \t\n;&|("):
            end = text.find("\n", index)
            end = len(text) if end < 0 else end
            spans.append((index, end))
            index = end
        index += 1
    return spans, bool(quote)


def _segments(
    line: int,
    code: str,
    comments: list[str],
    needs: tuple[str, ...],
    exports: tuple[tuple[str, str], ...],
    server: Command | None,
) -> list[Command]:
    lexer = shlex.shlex(code.replace("\\\n", " "), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    groups: list[tuple[list[str], str]] = [([], "")]
    for token in lexer:
        if token in _SEPARATORS:
            groups[-1] = (groups[-1][0], token)
            groups.append(([], ""))
        else:
            groups[-1][0].append(token)
    exit_code, expected = _exit(comments)
    commands = []
    for words, separator in groups:
        assignments = _leading_assignments(words)
        argv = words[len(assignments) :]
        if not argv or argv[0] not in PROGRAMS:
            continue
        _refuse_shell_syntax(line, argv)
        commands.append(
            Command(
                line=line,
                argv=tuple(argv),
                assignments=tuple((a.partition("=")[0], a.partition("=")[2]) for a in assignments),
                exports=exports,
                needs=needs,
                server=server,
                exit_code=exit_code,
                expected_text=expected,
                background=separator == "&",
            )
        )
    return commands


def _leading_assignments(words: list[str]) -> list[str]:
    taken = []
    for word in words:
        if not _ASSIGNMENT.match(word):
            break
        taken.append(word)
    return taken


def _refuse_shell_syntax(line: int, argv: list[str]) -> None:
    for word in argv:
        if word in ("<", ">", ">>", "(", ")") or "$" in word or re.fullmatch(r"\[.*\]", word):
            raise ReadmeSyntaxError(
                f"line {line}: {word!r} in {shlex.join(argv)!r} is shell syntax or a "
                "placeholder; write a command that runs as shown"
            )


def _exit(comments: list[str]) -> tuple[int, str]:
    for comment in comments:
        match = _EXIT.match(comment)
        if match:
            return int(match.group(1)), (match.group(2) or "").rstrip(",.;")
    return 0, ""
