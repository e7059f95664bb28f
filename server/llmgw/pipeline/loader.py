"""Operator steps: load ``package.module:StepClass`` paths and the entry-point group.

Called by the composition root (``app.py``) with ``pipeline.steps`` from the
configuration. Each class is constructed once, without arguments, and must
satisfy ``pipeline.chain.Step`` (``name``, ``before``, ``after``); anything else
fails start-up with a ``ValueError`` naming the path. Installed packages can
contribute steps through the ``llmgw.pipeline_steps`` entry-point group
(``[project.entry-points."llmgw.pipeline_steps"] deny = "pkg.mod:Step"``),
loaded after the configured ones, in name order.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from importlib.metadata import entry_points

from llmgw.pipeline.chain import Step

ENTRY_POINT_GROUP = "llmgw.pipeline_steps"


def load_steps(paths: Iterable[str], use_entry_points: bool = True) -> tuple[Step, ...]:
    """The configured steps, then the entry-point group's."""
    steps = [_load(path) for path in paths]
    if use_entry_points:
        for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
            steps.append(_instance(point.value, point.load()))
    return tuple(steps)


def _load(path: str) -> Step:
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
        factory = getattr(module, attribute)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"pipeline step {path!r} cannot be loaded: {error}") from error
    return _instance(path, factory)


def _instance(path: str, factory: object) -> Step:
    step = factory() if callable(factory) else factory
    if not isinstance(step, Step):
        raise ValueError(f"pipeline step {path!r} lacks name/before/after (pipeline.chain.Step)")
    return step


__all__ = ["ENTRY_POINT_GROUP", "load_steps"]
