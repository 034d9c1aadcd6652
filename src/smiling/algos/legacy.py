"""Reading what older versions wrote: every migration of run directories and models in one place.

Runs and models written before a change of format load, evaluate, resume and report as if
written today (``tests/test_legacy_runs.py`` holds such runs). Each function here translates one
old shape into today's; nothing else in the package needs to know old shapes existed. Imports
no loop and no method, so a reader of expert directories (:mod:`smiling.experts.policy`) can
use it without importing the training loop.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from smiling.algos.registry import ALIASES
from smiling.data.demos import Demonstrations
from smiling.errors import CheckpointError, SmilingError

# Keys renamed in config.json, summary.json and evaluation results: the method's name was
# recorded as "algo" before it was called the method everywhere.
OLD_METHOD_KEY = "algo"


def upgrade_config(config: dict[str, Any], where: Path) -> dict[str, Any]:
    """A run's ``config.json`` in today's shape: the method as ``method: {name, config}``, the
    agent as ``agent: {name, config}``.

    Two older shapes load (and resume) as if written today: runs written before the method was
    called the method record ``algo: NAME`` beside ``method: {its settings}``; runs written
    before agents were pluggable also record ``sac: {...}``, a ``sac_preset`` in the method's
    settings, and the true-reward method as ``algo: sac`` (now ``rl``)."""
    if OLD_METHOD_KEY not in config:
        if "agent" not in config:
            raise SmilingError(f"{where}: records no agent (neither 'agent' nor 'sac')")
        return config
    config = json.loads(json.dumps(config))  # a deep copy
    settings = dict(config.get("method") or {})
    if "agent" not in config:
        if "sac" not in config:
            raise SmilingError(f"{where}: records no agent (neither 'agent' nor 'sac')")
        preset = settings.pop("sac_preset", "fast")
        config["agent"] = {"name": "sac", "config": config.pop("sac")}
        config.setdefault("preset", preset)
    config["method"] = {"name": method_name(config), "config": settings}
    del config[OLD_METHOD_KEY]
    return config


def recorded_method(record: dict[str, Any]) -> str:
    """The method's name as a ``config.json``, ``summary.json`` or evaluation result records it,
    in any shape ("" when it records none): ``method: {name, ...}`` (config), ``method: NAME``
    (summary), or ``algo: NAME`` (older runs)."""
    recorded = record.get("method")
    if isinstance(recorded, dict):
        recorded = recorded.get("name")
    if not isinstance(recorded, str):
        recorded = record.get(OLD_METHOD_KEY)
    return str(recorded or "")


def method_name(record: dict[str, Any]) -> str:
    """The registered name of the method a record names (:func:`recorded_method`; ``sac``, the
    true-reward method's old name, is ``rl``)."""
    name = recorded_method(record)
    return ALIASES.get(name, name)


def run_label(config: dict[str, Any]) -> str:
    """The label a run's ``config.json`` records; runs written before labels: its method as
    recorded (an old ``sac`` run reports as ``sac``, beside the old runs that record that label)."""
    return str(config.get("label") or recorded_method(config))


def report_label(row: dict[str, Any]) -> str:
    """The label of a row of a report's table or curves (``report.json``); reports written
    before it was called the label name it ``algo``."""
    return str(row["label"] if "label" in row else row[OLD_METHOD_KEY])


def run_demos(d: Path, config: dict[str, Any]) -> Demonstrations | None:
    """The demonstrations of a run or model directory: its ``demos.npz``, or (runs written
    before runs kept a copy) the file the config names."""
    if (d / "demos.npz").exists():
        return Demonstrations.load(d / "demos.npz")
    recorded = config.get("demos")
    if recorded is None:
        return None
    source = Path(recorded.get("source", ""))
    if source.is_file():
        return Demonstrations.load(source)
    raise SmilingError(f"'{d}': the run's demonstrations are missing (no demos.npz, no '{source}')")


def upgrade_progress(
    progress: dict[str, Any], episode_limit: int | None, action_repeat: int
) -> dict[str, Any]:
    """A checkpoint's ``progress.json`` in today's shape.

    Checkpoints written before the loop counted episodes resume as such runs always did: from
    the episode numbered by the step, whose episodes all ran to the environment's time limit
    (``episode_limit`` simulator steps; each decision spans ``action_repeat`` of them). Before
    the curve and the preparation flag were checkpointed, a run resumed with an empty curve and
    prepared.
    """
    progress = {"curve": [], "prepared": True, **progress}
    if "episodes" not in progress:
        if not episode_limit:
            raise CheckpointError("the checkpoint records no episode count")
        per_episode = -(-int(episode_limit) // action_repeat)  # decisions per episode
        progress["episodes"] = int(progress["step"]) // per_episode + 1
        progress["episode_steps"] = 0
    return progress
