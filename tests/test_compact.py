"""Compact copies of a run (``Learner.compact_copy``): the agent's weights without optimiser
moments, target copies or replay, small enough to commit, continued by ``resume`` after the agent
refills its replay by acting."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from smiling.algos import LoopConfig
from smiling.algos.persistence import Learner
from smiling.algos.registry import METHODS
from smiling.errors import SmilingError
from smiling.rl.registry import get_agent

LOOP = LoopConfig(eval_every=150, eval_episodes=1, checkpoint_every=150, log_every=50)


def folder_bytes(path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", ["sac", "simba", "dreamerv3"])
def test_weights_round_trip_keeps_what_was_learnt_and_rebuilds_the_rest(name):
    """What the agent learnt comes back bit for bit; optimiser moments restart from zero and
    target networks from the networks they track."""
    entry = get_agent(name)
    agent = entry.build(3, 1, entry.preset("debug"))
    state = agent.init(jax.random.PRNGKey(0))
    # a learnt-looking state: every leaf moved away from its initial value
    state = jax.tree_util.tree_map(lambda x: np.asarray(x) + np.ones_like(x), state)
    back = agent.from_weights(agent.weights_bytes(state))
    fresh = agent.init(jax.random.PRNGKey(0))
    for field in agent.WEIGHTS:
        jax.tree_util.tree_map(
            np.testing.assert_array_equal, getattr(back, field), getattr(state, field)
        )
    target, tracked = {"dreamerv3": ("slow_critic_params", "critic_params")}.get(
        name, ("target_critic_params", "critic_params")
    )
    jax.tree_util.tree_map(
        np.testing.assert_array_equal, getattr(back, target), getattr(state, tracked)
    )
    optimiser = "critic_opt"
    jax.tree_util.tree_map(
        np.testing.assert_array_equal, getattr(back, optimiser), getattr(fresh, optimiser)
    )
    assert len(agent.weights_bytes(state)) < len(agent.to_bytes(state)) / 2


def test_a_compact_copy_acts_as_the_run_and_resume_refills_before_updating(tmp_path):
    run, copy = tmp_path / "run", tmp_path / "copy"
    learner = METHODS["rl"].cls(
        "Pendulum-v1", None, preset="debug", seed=0, loop=LOOP, agent="simba"
    )
    learner.learn(300, run_dir=run, progress=False)
    assert Learner.compact_copy(run, copy) == 300
    assert folder_bytes(copy / "checkpoint") < folder_bytes(run / "checkpoint") / 2

    resumed, budget = Learner.restore(copy, 600)
    assert budget == 600 and resumed.env_steps == 300 and len(resumed.replay) == 0
    obs = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    key = jax.random.PRNGKey(5)
    for deterministic in (True, False):
        np.testing.assert_array_equal(
            resumed.agent.act(resumed.state, obs, key, None, deterministic)[0],
            learner.agent.act(learner.state, obs, key, None, deterministic)[0],
        )
    np.testing.assert_array_equal(resumed.state.obs_mean, learner.state.obs_mean)
    warmup = resumed.agent.warmup_steps
    assert resumed.refill_until == 300 + warmup

    before = int(learner.state.step)
    summary = resumed.learn(600, run_dir=copy, progress=False)
    assert summary["env_steps"] == 600
    # updates resume at step 300 + warmup (as a fresh run's begin at warmup), not at 301
    per_step = resumed.agent.config.updates_per_step
    assert int(resumed.state.step) == before + (600 - (300 + warmup) + 1) * per_step
    assert len(resumed.replay) == 300
    steps = [row[0] for row in np.loadtxt(copy / "eval.csv", delimiter=",", skiprows=1)]
    assert steps == [150, 300, 450, 600]  # the copied curve, continued


def test_a_compact_copy_never_writes_into_a_folder_that_holds_files(tmp_path):
    run = tmp_path / "run"
    learner = METHODS["rl"].cls("Pendulum-v1", None, preset="debug", seed=0, loop=LOOP, agent="sac")
    learner.learn(150, run_dir=run, progress=False)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(SmilingError, match="not empty"):
        Learner.compact_copy(run, tmp_path / "busy")
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["notes.txt"]
