"""Size and complexity limits for ``server/`` (run by ``.ci/run``).

Limits (the project's style rules):

* no module over ``MAX_MODULE_LINES`` (450) physical lines;
* no function or method over ``MAX_FUNCTION_LINES`` (50) lines, counted from
  its ``def`` (decorators included) to its last line;
* no function with cyclomatic complexity over ``MAX_COMPLEXITY`` (15), as
  radon computes it: radon counts every boolean operator (``a and b or c``
  adds 2), every ``if``/``elif``/loop/``except``/``with``/comprehension
  clause and conditional expression;
* no ``__init__`` with more than ``MAX_INIT_PARAMETERS`` (8) parameters
  besides ``self`` (group them in a settings object).

Every offender is printed (``path:line: what``) and the exit status is 1 when
there is any, so one run lists all the work. ``python tools/check_size.py
[paths...]`` checks other trees (default: ``server``).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Function

MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 50
MAX_COMPLEXITY = 15
MAX_INIT_PARAMETERS = 8
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, _FUNCTIONS):
            yield node


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    args = node.args
    named = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    count = len(named) + (args.vararg is not None) + (args.kwarg is not None)
    return count - 1 if named and named[0].arg in ("self", "cls") else count


def _complexities(source: str) -> Iterator[Function]:
    """Every function and method radon scores (closures and methods included;
    ``cc_visit`` lists methods both alone and in their class, hence the set)."""
    pending = list(cc_visit(source))
    while pending:
        block = pending.pop()
        if isinstance(block, Function):
            yield block
            pending.extend(block.closures)
        else:  # a class: its methods and inner classes
            pending.extend(block.methods)
            pending.extend(block.inner_classes)


def offenders(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    found: list[str] = []
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        found.append(f"{path}:1: module has {lines} lines (max {MAX_MODULE_LINES})")
    for node in _functions(ast.parse(source, str(path))):
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        length = (node.end_lineno or node.lineno) - first + 1
        if length > MAX_FUNCTION_LINES:
            found.append(
                f"{path}:{node.lineno}: {node.name} has {length} lines (max {MAX_FUNCTION_LINES})"
            )
        if node.name == "__init__" and _parameters(node) > MAX_INIT_PARAMETERS:
            found.append(
                f"{path}:{node.lineno}: __init__ has {_parameters(node)} parameters"
                f" (max {MAX_INIT_PARAMETERS}; group them in a settings object)"
            )
    for block in _complexities(source):
        if block.complexity > MAX_COMPLEXITY:
            found.append(
                f"{path}:{block.lineno}: {block.name} has cyclomatic complexity"
                f" {block.complexity} (max {MAX_COMPLEXITY})"
            )
    return sorted(set(found), key=lambda line: (int(line.split(":")[1]), line))


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path("server")]
    files = sorted(p for root in roots for p in ([root] if root.is_file() else root.rglob("*.py")))
    found = [line for path in files for line in offenders(path)]
    for line in found:
        print(line)
    print(f"size and complexity: {len(files)} modules, {len(found)} offenders", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
