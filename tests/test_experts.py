"""`smiling expert` and `smiling demos` end to end on a tiny budget, including resume."""

from __future__ import annotations

import csv
import json

import numpy as np

from smiling import Demonstrations
from smiling.cli import main


def _eval_steps(out):
    with open(out / "eval.csv") as f:
        return [int(row["env_steps"]) for row in csv.DictReader(f)]


def test_expert_resume_and_demos(tmp_path):
    out = tmp_path / "expert"
    common = ["expert", "--env", "Pendulum-v1", "--out", str(out), "--set", "sac.seed_steps=100"]
    common += ["--eval-every", "200", "--eval-episodes", "1", "--checkpoint-every", "200"]
    assert main([*common, "--steps", "400"]) == 0
    assert _eval_steps(out) == [200, 400]
    assert json.loads((out / "checkpoint" / "progress.json").read_text())["step"] == 400

    assert main([*common, "--steps", "600", "--resume"]) == 0
    assert _eval_steps(out) == [200, 400, 600]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["env_steps"] == 600 and np.isfinite(summary["best_eval_return"])

    demos_path = tmp_path / "demos.npz"
    args = ["demos", "--expert", str(out), "--episodes", "2", "--out", str(demos_path)]
    assert main(args) == 0
    demos = Demonstrations.load(demos_path, env_id="Pendulum-v1")
    assert demos.num_episodes == 2 and demos.observations.shape == (400, 3)
    assert demos.actions.shape == (400, 1) and np.all(np.abs(demos.actions) <= 1)
    np.testing.assert_allclose(demos.expert_return, demos.episode_returns.mean(), rtol=1e-5)
    assert demos.random_return < 0 and demos.versions["jax"]

    state_only = tmp_path / "state_only.npz"
    args = ["demos", "--expert", str(out), "--episodes", "1", "--out", str(state_only)]
    assert main([*args, "--state-only", "--deterministic"]) == 0
    assert not Demonstrations.load(state_only).has_actions
