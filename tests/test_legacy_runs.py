"""Runs written before agents were pluggable (``sac: {...}`` in config.json, ``sac_preset`` in the
method's settings, ``algo: sac`` for the true reward, checkpoints without an episode counter) and
runs written before the method was called the method (``algo: NAME`` in config.json and
summary.json) load, evaluate, resume and report; a config.json naming no agent at all is one
clear error; the old names of the ``--method`` flag and of the ``RL`` class still work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import smiling
from smiling.algos import RL, Learner, LoopConfig, TrueReward
from smiling.algos.legacy import method_name, report_label, run_label, upgrade_config
from smiling.algos.registry import get_method
from smiling.cli import build_parser
from smiling.config import PRESET_VERSIONS, preset_version
from smiling.errors import SmilingError
from smiling.experts.policy import load_expert
from smiling.report import write_report
from smiling.run_eval import evaluate_run
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


def _to_algo_layout(run: Path) -> None:
    """Rewrite a run as it was written before the method was called the method everywhere:
    ``algo: NAME`` beside ``method: {its settings}`` in config.json, ``algo`` in summary.json."""
    for path in (run / "config.json", run / "model" / "config.json"):
        config = json.loads(path.read_text())
        method = config.pop("method")
        config["algo"], config["method"] = method["name"], method["config"]
        path.write_text(json.dumps(config))
    summary = json.loads((run / "summary.json").read_text())
    summary["algo"] = summary.pop("method")
    (run / "summary.json").write_text(json.dumps(summary))


def test_a_new_run_records_the_method_and_one_recorded_as_algo_still_works(tmp_path):
    run = tmp_path / "run"
    loop = LoopConfig(eval_every=100, eval_episodes=1, checkpoint_every=100)
    RL("Pendulum-v1", preset="debug", loop=loop).learn(200, run_dir=run, progress=False)
    config, summary = RunDir(run).read_config(), RunDir(run).read_summary()
    assert config["method"] == {"name": "rl", "config": {}} and summary["method"] == "rl"
    assert "algo" not in config and "algo" not in summary

    _to_algo_layout(run)
    model = Learner.load(run / "model")
    assert isinstance(model, RL) and model.method == model.algo == "rl"
    assert evaluate_run(run, episodes=1)["method"] == "rl"
    (row,) = write_report([run], tmp_path / "report")["table"]
    assert row["label"] == "rl" and row["seeds"] == [0]
    learner, steps = Learner.restore(run, 300)
    learner.learn(steps, run_dir=run, progress=False)
    assert RunDir(run).read_summary()["method"] == "rl"


def test_old_shapes_translate_to_todays():
    agent = {"name": "sac", "config": {"hidden": [32, 32]}}
    old = {"algo": "smiling", "label": "smiling+linear", "method": {"val_episodes": 1}}
    config = upgrade_config({**old, "agent": agent}, Path("config.json"))
    assert config["method"] == {"name": "smiling", "config": {"val_episodes": 1}}
    assert "algo" not in config and config["agent"] == agent
    before_agents = upgrade_config({"algo": "sac", "sac": {"tau": 0.01}}, Path("c.json"))
    assert before_agents["method"] == {"name": "rl", "config": {}}  # sac named the rl method
    assert before_agents["agent"] == {"name": "sac", "config": {"tau": 0.01}}
    assert run_label({"algo": "sac"}) == "sac" and run_label(old) == "smiling+linear"  # as recorded
    assert method_name({"algo": "dac"}) == method_name({"method": "dac"}) == "dac"  # summaries
    assert report_label({"algo": "bc"}) == "bc"
    assert report_label({"label": "bc@simba", "algo": "bc"}) == "bc@simba"


def test_the_old_names_still_work_beside_the_new(capsys):
    parser = build_parser()
    for command in (["train"], ["sweep"]):
        old = parser.parse_args([*command, "--algo", "dac+linear", "--env", "Pendulum-v1"])
        new = parser.parse_args([*command, "--method", "dac+linear", "--env", "Pendulum-v1"])
        assert old.method == new.method == "dac+linear"
        assert parser.parse_args([*command, "--env", "Pendulum-v1"]).method == "smiling"
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--help"])
    help_text = capsys.readouterr().out
    assert "--method" in help_text and "--algo" not in help_text
    assert smiling.TrueReward is smiling.RL and get_method("sac").cls is RL
