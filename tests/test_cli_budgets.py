"""First contact with ``smiling train``: budgets, settings, specs and the messages a new user
meets (issue 21, items 2 and 4)."""

from __future__ import annotations

import json

import pytest
from conftest import make_demos

from smiling.cli import build_parser, main


def _train(tmp_path, *extra: str) -> list[str]:
    demos = tmp_path / "demos.npz"
    if not demos.exists():
        make_demos(episodes=2, length=100).save(demos)
    out = tmp_path / "run"
    return ["train", "--env", "Pendulum-v1", "--demos", str(demos), "--out", str(out), *extra]


@pytest.mark.parametrize("steps", ["0", "-10"])
def test_non_positive_budget_is_an_error(tmp_path, capsys, steps):
    assert main(_train(tmp_path, "--steps", steps)) == 2
    err = capsys.readouterr().err
    assert f"--steps must be at least 1, got {steps}" in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "setting, message",
    [
        ("sac.batch_size=-5", "batch_size must be at least 1, got -5"),
        ("sac.discount=1.5", "discount must be at least 0 and at most 1"),
        ("sac.hidden=0,4", "hidden must be one or more positive widths"),
        ("agent.tau=0", "tau must be above 0"),
    ],
)
def test_nonsensical_agent_settings_are_errors(tmp_path, capsys, setting, message):
    assert main(_train(tmp_path, "--steps", "10", "--set", setting)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_budget_within_warmup_warns_and_summary_is_valid_json(tmp_path, capsys):
    args = _train(tmp_path, "--algo", "rl", "--steps", "50", "--preset", "debug")
    args += ["--eval-every", "50", "--eval-episodes", "1"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "within the agent's random warm-up of 100 steps" in err
    text = (tmp_path / "run" / "summary.json").read_text()
    summary = json.loads(text, parse_constant=pytest.fail)  # no NaN / Infinity in JSON
    assert summary["env_steps"] == 50 and summary["label"] == "rl"


def test_help_lists_budgets_methods_and_agents(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    out = capsys.readouterr().out
    assert "dmc:cartpole-swingup" in out and "150,000" in out and "20,000" in out
    for name in ("smiling", "dac", "iq-learn", "bc", "rl", "sac"):
        assert name in out


def test_train_accepts_an_algo_spec_and_records_the_agent(tmp_path):
    args = _train(tmp_path, "--algo", "smiling+linear", "--steps", "150", "--preset", "debug")
    args += ["--eval-every", "150", "--eval-episodes", "1"]
    assert main(args) == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["label"] == "smiling+linear" and config["method"]["config"]["net"]["linear"]
    assert config["agent"]["name"] == "sac" and config["agent"]["config"]["hidden"] == [32, 32]


def test_unknown_agent_lists_the_known_ones(tmp_path, capsys):
    assert main(_train(tmp_path, "--agent", "ppo", "--steps", "10")) == 2
    assert "unknown agent 'ppo'; known agents: sac" in capsys.readouterr().err


def test_env_mismatch_and_missing_bundled_demos_messages(tmp_path, capsys):
    make_demos().save(tmp_path / "p.npz")
    args = ["train", "--env", "dmc:cartpole-swingup", "--demos", str(tmp_path / "p.npz")]
    assert main([*args, "--steps", "10", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("demonstrations file") == 1 and "not for 'dmc:cartpole-swingup'" in err
    assert main(["train", "--env", "MountainCarContinuous-v0", "--steps", "10"]) == 2
    err = capsys.readouterr().err
    assert "no bundled demonstrations for 'MountainCarContinuous-v0'" in err
    assert "dmc:cartpole-swingup" in err and "dmc_cartpole" not in err


def test_demonstrations_without_rewards_train_and_report_raw_returns(tmp_path, capsys):
    """State-only data with no rewards and no reference returns (issue 19): the run reports its
    raw return and says the normalised one is unavailable; --expert-return and --random-return
    make it available."""
    from smiling.data.demos import Demonstrations

    raw = make_demos(episodes=2, length=100)
    bare = Demonstrations.from_arrays("Pendulum-v1", raw.observations, raw.episode_lengths)
    bare.save(tmp_path / "bare.npz")
    args = ["train", "--env", "Pendulum-v1", "--demos", str(tmp_path / "bare.npz")]
    args += ["--steps", "150", "--preset", "debug", "--eval-every", "150", "--eval-episodes", "1"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "normalised return unavailable" in out
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["normalized_return"] is None and summary["eval_return"] < 0
    assert summary["expert_return"] is None
    known = ["--expert-return", "-150", "--random-return", "-1200"]
    assert main([*args, *known, "--out", str(tmp_path / "b")]) == 0
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    expected = (summary["eval_return"] + 1200) / 1050
    assert summary["normalized_return"] == pytest.approx(expected)


def test_demo_episodes_takes_the_first_episodes(tmp_path):
    """--demo-episodes N (issue 20's data-efficiency flag): the run learns from, and keeps, the
    first N episodes; with one episode SMILING has no validation split."""
    args = _train(tmp_path, "--demo-episodes", "1", "--steps", "150", "--preset", "debug")
    args += ["--eval-every", "150", "--eval-episodes", "1"]
    assert main(args) == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["demos"]["episodes"] == 1
    metrics = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert "losses/expert_score_train" in metrics[-1]
    assert "losses/expert_score_val" not in metrics[-1]
    bad = _train(tmp_path, "--demo-episodes", "3", "--steps", "150", "--out", str(tmp_path / "b"))
    assert main(bad) == 2
