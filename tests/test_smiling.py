"""SMILING end to end on a tiny budget: the loop, the run directory, save/load and CLI errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import TINY_SAC_ARGS, make_demos

from smiling import DemonstrationsError, SmilingError
from smiling.algos import SMILING, LoopConfig, SmilingConfig
from smiling.cli import main
from smiling.diffusion import RewardConfig, ScoreNetConfig
from smiling.rl.sac import SACConfig

TINY_SAC = SACConfig(hidden=(32, 32), batch_size=32, seed_steps=100)
TINY = SmilingConfig(
    reward=RewardConfig(num_timesteps=4, antithetic=True),
    net=ScoreNetConfig(hidden=32),
    expert_pretrain_steps=20,
    learner_update_every=100,
    learner_samples=256,
    score_batch=64,
    val_episodes=1,
)
SUMMARY_KEYS = {
    "method",
    "env_id",
    "seed",
    "env_steps",
    "wall_seconds",
    "env_steps_per_second",
    "eval_return",
    "normalized_return",
}


def test_learn_writes_run_dir_and_reloads(tmp_path):
    demos = make_demos(episodes=3, length=50).state_only()
    agent = SMILING(
        "Pendulum-v1",
        demos,
        config=TINY,
        agent_config=TINY_SAC,
        loop=LoopConfig(eval_every=150, eval_episodes=1),
    )
    summary = agent.learn(300, run_dir=tmp_path / "run", progress=False)
    assert SUMMARY_KEYS <= summary.keys()
    assert summary["env_steps"] == 300 and summary["method"] == "smiling"
    assert math.isfinite(summary["normalized_return"])
    assert summary["normalized_return"] == pytest.approx(demos.normalize(summary["eval_return"]))
    on_disk = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert on_disk == json.loads(json.dumps(summary))
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["method"]["config"]["reward"]["num_timesteps"] == 4
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["env_steps"] for line in lines] == [150, 300]
    assert "losses/learner_score" in json.loads(lines[-1])
    assert (tmp_path / "run" / "expert_score.msgpack").exists()

    obs = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    action, state = agent.predict(obs[0])
    assert action.shape == (1,) and np.all(np.abs(action) <= 1) and state is None

    loaded = SMILING.load(tmp_path / "run" / "model")
    np.testing.assert_allclose(loaded.predict(obs)[0], agent.predict(obs)[0], rtol=1e-6)
    assert loaded.config == agent.config and loaded.demos.num_episodes == 3
    with pytest.raises(SmilingError, match="no saved model"):
        SMILING.load(tmp_path)


@pytest.mark.parametrize("episodes", [1, 2])
def test_one_demonstration_episode_warns_that_nothing_is_validated(episodes, capsys):
    """With no more episodes than val_episodes (the debug preset's 1), nothing can be held out:
    the expert score model trains on them all, and one warning line says there is no
    validation loss; with more, the last one validates and nothing is said (issue 20)."""
    demos = make_demos(episodes=episodes, length=50).state_only()
    agent = SMILING("Pendulum-v1", demos, preset="debug")
    assert agent.train_demos.num_episodes == 1
    agent.prepare(None)
    # besides the pre-training's progress lines ("[smiling Pendulum-v1] ..."), only warnings
    err = "".join(
        line for line in capsys.readouterr().err.splitlines(True) if not line.startswith("[")
    )
    assert "losses/expert_score_train" in agent.last_metrics
    if episodes == 1:
        assert agent.val_demos is None
        assert err.count("\n") == 1 and err.startswith("smiling: warning: 1 demonstration episode,")
        assert "val_episodes=1" in err and "no validation loss" in err
        assert "losses/expert_score_val" not in agent.last_metrics
    else:
        assert agent.val_demos.num_episodes == 1 and err == ""
        assert np.isfinite(agent.last_metrics["losses/expert_score_val"])


def test_use_actions_needs_actions():
    with pytest.raises(SmilingError, match="state-only"):
        SMILING(
            "Pendulum-v1",
            make_demos().state_only(),
            config=TINY.replace(reward=RewardConfig(num_timesteps=4, use_actions=True)),
        )


def test_demos_for_another_env_rejected():
    with pytest.raises(DemonstrationsError, match="not for 'dmc:cartpole-swingup'"):
        SMILING("dmc:cartpole-swingup", make_demos(), config=TINY)


def test_cli_train_smiling_end_to_end(tmp_path, capsys):
    demos_path = tmp_path / "d.npz"
    make_demos(episodes=2, length=100).save(demos_path)
    out = tmp_path / "run"
    args = ["train", "--algo", "smiling", "--env", "Pendulum-v1", "--demos", str(demos_path)]
    args += ["--steps", "200", "--eval-every", "200", "--eval-episodes", "1", "--out", str(out)]
    args += TINY_SAC_ARGS
    args += ["--set", "expert_pretrain_steps=10", "--set", "learner_update_every=100"]
    args += ["--set", "reward.num_timesteps=4", "--set", "net.hidden=16", "--set", "val_episodes=1"]
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= summary.keys() and summary["env_steps"] == 200
    assert "run directory" in capsys.readouterr().out
    assert main(args) == 2  # never overwrites an existing run
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize(
    "option, recorded",
    [
        (["net.residual=true", "net.depth=2"], {"net": {"residual": True, "depth": 2}}),
        (["process=ve", "sigma_max=20"], {"process": "ve", "sigma_max": 20.0}),
    ],
    ids=["residual", "ve"],
)
def test_cli_train_with_a_step_2_option_records_it(tmp_path, option, recorded):
    """The residual score network and the variance-exploding process (issue 41, step 2) are
    settings: a run trains with them and its config.json records them."""
    demos_path = tmp_path / "d.npz"
    make_demos(episodes=2, length=100).save(demos_path)
    out = tmp_path / "run"
    args = ["train", "--algo", "smiling", "--env", "Pendulum-v1", "--demos", str(demos_path)]
    args += ["--steps", "200", "--eval-every", "200", "--eval-episodes", "1", "--out", str(out)]
    args += TINY_SAC_ARGS + ["--preset", "debug"]
    for pair in option:
        args += ["--set", pair]
    assert main(args) == 0
    method = json.loads((out / "config.json").read_text())["method"]["config"]
    for key, value in recorded.items():
        if isinstance(value, dict):
            assert {k: method[key][k] for k in value} == value
        else:
            assert method[key] == value
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert math.isfinite(metrics[-1]["losses/learner_score"])
    loaded = SMILING.load(out / "model")
    expect = SmilingConfig.from_dict(method)
    assert loaded.config == expect
    if expect.process == "ve":
        np.testing.assert_allclose(loaded.schedule.sigmas[-1], 20.0, rtol=1e-6)
        np.testing.assert_array_equal(loaded.schedule.sqrt_alpha_bars, 1.0)
    else:
        assert "blocks_1" in loaded.learner_score.params["params"]


def test_a_config_recorded_before_the_step_2_options_loads_as_it_ran():
    """A config.json without ``process`` or ``net.residual`` (runs before them) reads back as
    the variance-preserving process and the plain MLP."""
    recorded = SmilingConfig().to_dict()
    del recorded["process"], recorded["net"]["residual"]
    old = SmilingConfig.from_dict(recorded)
    assert old.process == "vp" and old.net.residual is False and old == SmilingConfig()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--demos", "missing.npz"], "does not exist"),
        (["--set", "reward.num_timesteps=many"], "expected a value of type int"),
        (["--set", "bogus=1"], "unknown setting 'bogus'"),
        (["--set", "reward.antithetic=true", "--set", "reward.num_timesteps=5"], "even"),
        (["--set", "process=vx"], "process must be one of ['vp', 've'], got 'vx'"),
        (["--set", "schedule=cosin"], "schedule must be one of ['linear', 'cosine']"),
        (["--set", "schedule=cosine", "--set", "process=ve"], "process=ve has its own"),
        (["--set", "process=ve", "--set", "sigma_max=0.001"], "0 < sigma_min < sigma_max"),
        (["--set", "net.residual=true", "--set", "net.linear=true"], "both residual and linear"),
    ],
)
def test_cli_train_bad_input(tmp_path, capsys, extra, message):
    args = ["train", "--env", "Pendulum-v1", "--steps", "10", "--out", str(tmp_path / "r"), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_cli_train_unknown_env(tmp_path, capsys):
    assert main(["train", "--env", "dmc:cheetah-fly", "--out", str(tmp_path / "r")]) == 2
    assert "dmc:<domain>-<task>" in capsys.readouterr().err
