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

from smiling.data.demos import Demonstrations
from smiling.errors import CheckpointError, SmilingError


def upgrade_config(config: dict[str, Any], where: Path) -> dict[str, Any]:
    """A run's ``config.json`` in today's shape. Runs written before agents were pluggable
    record ``sac: {...}`` and a ``sac_preset`` in the method's settings, and the true-reward
    method as ``algo: sac``; their runs and models load (and resume) as if written today."""
    if "agent" in config:
        return config
    if "sac" not in config:
        raise SmilingError(f"{where}: records no agent (neither 'agent' nor 'sac')")
    config = json.loads(json.dumps(config))  # a deep copy
    method = dict(config.get("method") or {})
    preset = method.pop("sac_preset", "fast")
    config["agent"] = {"name": "sac", "config": config.pop("sac")}
    config["method"] = method
    config.setdefault("preset", preset)
    return config


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
