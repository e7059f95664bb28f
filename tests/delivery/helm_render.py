"""Render the chart with the real helm binary (for tests/delivery/test_helm_chart.py).

helm comes from ``LLMGW_HELM``, else ``.ci-tools/helm/helm`` (what
``.ci/delivery.sh`` installs), else ``PATH``; tests skip with the reason when
there is none.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "llmgw"
VALUES = Path(__file__).resolve().parent / "values"
EXAMPLE = CHART / "examples" / "ha-postgres-redis-hpa.yaml"


def helm_binary() -> str | None:
    for candidate in (os.environ.get("LLMGW_HELM", ""), str(ROOT / ".ci-tools/helm/helm")):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("helm")


def need_helm() -> str:
    found = helm_binary()
    if not found:
        pytest.skip("helm is not installed (.ci/delivery.sh installs it into .ci-tools/)")
    return found


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [need_helm(), *args], capture_output=True, text=True, timeout=60, check=False
    )


@dataclass
class Rendered:
    docs: list[dict[str, Any]]

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def one(self, kind: str, name: str | None = None) -> dict[str, Any]:
        found = [d for d in self.kind(kind) if name is None or d["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind} {name or ''}: {len(found)} rendered"
        return found[0]

    @property
    def pod(self) -> dict[str, Any]:
        return dict(self.one("StatefulSet")["spec"]["template"]["spec"])

    def container(self, name: str) -> dict[str, Any]:
        pod = self.pod
        every = [*pod.get("initContainers", []), *pod["containers"]]
        return next(c for c in every if c["name"] == name)

    def config(self) -> dict[str, Any]:
        text = self.one("ConfigMap")["data"]["llmgw.yaml"]
        loaded = yaml.safe_load(text)
        assert isinstance(loaded, dict)
        return loaded


def render(*values: Path, sets: tuple[str, ...] = (), release: str = "gw") -> Rendered:
    args = ["template", release, str(CHART), "--namespace", "llm"]
    for path in values:
        args += ["-f", str(path)]
    for item in sets:
        args += ["--set", item]
    done = helm(*args)
    assert done.returncode == 0, done.stderr
    return Rendered([d for d in yaml.safe_load_all(done.stdout) if d])


def render_notes(folder: Path, *values: Path) -> str:
    """NOTES.txt as ``helm install`` would print it. ``helm template`` skips
    NOTES.txt, so a copy of the chart (in ``folder``) renders it inside a
    ConfigMap."""
    chart = folder / "llmgw"
    shutil.copytree(CHART, chart)
    notes = (chart / "templates/NOTES.txt").read_text(encoding="utf-8")
    (chart / "templates/NOTES.txt").unlink()
    (chart / "templates/notes.tpl").write_text(
        '{{- define "test.notes" -}}\n' + notes + "{{- end -}}\n", encoding="utf-8"
    )
    (chart / "templates/zz-notes.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n"
        '  notes: {{ include "test.notes" . | toJson }}\n',
        encoding="utf-8",
    )
    args = ["template", "gw", str(chart), "--namespace", "llm"]
    args += ["--show-only", "templates/zz-notes.yaml"]
    for path in values:
        args += ["-f", str(path)]
    done = helm(*args)
    assert done.returncode == 0, done.stderr
    return str(yaml.safe_load(done.stdout)["data"]["notes"])
