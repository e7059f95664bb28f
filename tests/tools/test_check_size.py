"""``tools/check_size.py``: every offender listed, boolean operators counted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import check_size  # noqa: E402


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_boolean_operators_count_towards_complexity(tmp_path: Path) -> None:
    # 1 + one ``if`` + 14 boolean operators = 16; one operator fewer = 15 (allowed).
    terms = " and ".join(f"a{i}" for i in range(15))
    bad = _write(tmp_path, "bad.py", f"def f(*a):\n    if {terms}:\n        return 1\n")
    (line,) = check_size.offenders(bad)
    assert line.endswith("f has cyclomatic complexity 16 (max 15)")
    fine_terms = " and ".join(f"a{i}" for i in range(14))
    fine = _write(tmp_path, "fine.py", f"def f(*a):\n    if {fine_terms}:\n        return 1\n")
    assert check_size.offenders(fine) == []


def test_lines_and_init_parameters(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(50))  # def + 50 = 51 lines
    params = ", ".join(f"p{i}" for i in range(9))
    text = (
        f"def long():\n{body}"
        f"class C:\n    def __init__(self, {params}):\n        pass\n"
        "class D:\n    def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7):\n        pass\n"
    )
    text += "\n" * (451 - len(text.splitlines()))
    path = _write(tmp_path, "mod.py", text)
    found = check_size.offenders(path)
    assert [f.split(": ", 1)[1] for f in found] == [
        "long has 51 lines (max 50)",  # line 1 too: ties sort by text
        "module has 451 lines (max 450)",
        "__init__ has 9 parameters (max 8; group them in a settings object)",
    ]


def test_the_command_prints_every_offender_and_fails(tmp_path: Path) -> None:
    _write(tmp_path, "a.py", "def f(*a):\n    return " + " or ".join(["a"] * 16) + "\n")
    _write(tmp_path, "b.py", "def g(*a):\n    return " + " and ".join(["a"] * 16) + "\n")
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check_size.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert [line.split(": ", 1)[1] for line in run.stdout.splitlines()] == [
        "f has cyclomatic complexity 16 (max 15)",
        "g has cyclomatic complexity 16 (max 15)",
    ]


@pytest.mark.parametrize("package", ["api", "control", "auth", "storage"])
def test_the_seam_packages_pass(package: str) -> None:
    """Known offenders elsewhere (pipeline/gateway.py, api/server.py's
    ``__init__``, api/validation.py) belong to parallel work; these may not grow."""
    allowed = {"server.py:71: __init__", "validation.py:89: check_embed"}
    found = [
        line
        for path in sorted((ROOT / "server" / "llmgw" / package).rglob("*.py"))
        for line in check_size.offenders(path)
        if not any(a in line for a in allowed)
    ]
    assert found == []
