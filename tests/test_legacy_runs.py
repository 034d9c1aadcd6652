"""Runs written before agents were pluggable (``sac: {...}`` in config.json, ``sac_preset`` in the
method's settings, ``algo: sac`` for the true reward, checkpoints without an episode counter) load,
evaluate and resume; a config.json naming no agent at all is one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smiling.algos import Learner, LoopConfig, TrueReward
from smiling.config import PRESET_VERSIONS, preset_version
from smiling.errors import SmilingError
from smiling.experts.policy import load_expert
from smiling.runs import RunDir


def _to_old_layout(config_path: Path) -> None:
    config = json.loads(config_path.read_text())
    agent = config.pop("agent")
    config.pop("preset_version")  # runs recorded before preset versions
    config["sac"] = agent["config"]
    config["method"] = {"sac_preset": config.pop("preset")}
    config["algo"] = config["label"] = "sac"
    config_path.write_text(json.dumps(config))


def test_an_old_run_directory_loads_evaluates_and_resumes(tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    loop = LoopConfig(eval_every=100, eval_episodes=1, checkpoint_every=100)
    TrueReward("Pendulum-v1", preset="debug", loop=loop).learn(200, run_dir=run, progress=False)
    for path in (run / "config.json", run / "model" / "config.json"):
        _to_old_layout(path)
    progress = json.loads((run / "checkpoint" / "progress.json").read_text())
    del progress["episodes"], progress["episode_steps"]
    (run / "checkpoint" / "progress.json").write_text(json.dumps(progress))

    model = Learner.load(run / "model")
    assert isinstance(model, TrueReward) and model.agent_config.hidden == (32, 32)
    assert load_expert(run).env_id == "Pendulum-v1"
    # The preset changed since: the run still records (and resumes) the version it ran.
    monkeypatch.setitem(PRESET_VERSIONS, "debug", 2)
    learner, steps = Learner.restore(run, 400)
    assert learner.env_steps == 200 and learner.episodes == 2  # 200 // Pendulum's 200-step limit
    learner.learn(steps, run_dir=run, progress=False)
    assert RunDir(run).read_summary()["env_steps"] == 400
    for config in (RunDir(run).read_config(), RunDir(run / "model").read_config()):
        assert preset_version(config) == 1


def test_a_config_with_no_agent_is_one_clear_error(tmp_path):
    run = tmp_path / "run"
    loop = LoopConfig(eval_every=100, eval_episodes=1, checkpoint_every=100)
    TrueReward("Pendulum-v1", preset="debug", loop=loop).learn(100, run_dir=run, progress=False)
    config = json.loads((run / "config.json").read_text())
    del config["agent"]
    (run / "config.json").write_text(json.dumps(config))
    with pytest.raises(SmilingError, match="records no agent"):
        Learner.restore(run, 200)
