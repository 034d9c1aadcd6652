"""``smiling sweep``: its settings reach the arms they apply to, a re-run notices changed
settings, and one Ctrl-C stops the whole sweep with its runs kept.

All but the last test plan sweeps whose runs are already finished (or refused before any
starts), so they take no training; the last runs a real sweep and interrupts it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smiling.cli import build_parser, main
from smiling.errors import SmilingError
from smiling.runs import RunDir
from smiling.runspec import RunSpec
from smiling.sweep import plan, record_settings, scoped_args, settings_of

ENV = "Pendulum-v1"
BASE = ["sweep", "--env", ENV, "--seeds", "0", "--steps", "10", "--preset", "debug"]


def finished(run: Path, steps: int = 10) -> None:
    """A run directory that a sweep with budget ``steps`` skips."""
    RunDir(run).write_config({"steps": steps})
    RunDir(run).write_summary({"env_steps": steps})


def test_set_goes_only_to_the_arms_it_applies_to():
    arms = {
        a: RunSpec(method=a, env_id=ENV, preset="debug", overrides=pairs)
        for a, pairs in [("smiling", ()), ("rl", ())]
    }
    pairs = ("reward.num_timesteps=4", "sac.batch_size=16", "agent.seed_steps=50")
    arms = {a: RunSpec(method=a, env_id=ENV, preset="debug", overrides=pairs) for a in arms}
    scoped = {a: settings_of(args) for a, args in scoped_args(arms).items()}
    assert scoped["smiling"]["--set reward.num_timesteps"] == "4"
    assert "--set reward.num_timesteps" not in scoped["rl"]  # the method setting: SMILING's only
    for arm in ("smiling", "rl"):  # the agent's settings: every arm driving SAC
        assert scoped[arm]["--set sac.batch_size"] == "16"
        assert scoped[arm]["--set agent.seed_steps"] == "50"


@pytest.mark.parametrize(
    "pair, message",
    [
        ("bogus=1", "--set bogus=1 applies to none of the sweep's arms (smiling, rl): "),
        ("reward.num_timesteps=x", "expected a value of type int (in arm smiling)"),
    ],
)
def test_a_set_no_arm_can_take_is_refused_before_any_run(tmp_path, capsys, pair, message):
    out = tmp_path / "sweep"
    assert main([*BASE, "--algo", "smiling,rl", "--set", pair, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_sweep_has_train_s_presets_and_agents(tmp_path, capsys):
    """The same --preset choices as train (debug included) and --agent, which names the arm's
    agent in its run directories."""

    def option(command: str, flag: str):
        sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
        return next(a for a in sub._actions if flag in a.option_strings)

    assert option("sweep", "--preset").choices == option("train", "--preset").choices
    assert "debug" in option("sweep", "--preset").choices
    assert option("sweep", "--agent").help == option("train", "--agent").help
    out = tmp_path / "sweep"
    finished(out / f"smiling@simba-{ENV}-s0")
    assert main([*BASE, "--algo", "smiling", "--agent", "simba", "--out", str(out)]) == 0
    assert f"skipped {out / f'smiling@simba-{ENV}-s0'} (finished)" in capsys.readouterr().out
    args = [*BASE, "--algo", "smiling@dreamerv3", "--agent", "simba", "--out", str(out)]
    assert main(args) == 2
    assert "names agent 'dreamerv3' but --agent is simba" in capsys.readouterr().err


def test_a_rerun_with_other_settings_names_them_and_asks_what_to_do(tmp_path, capsys):
    out = tmp_path / "sweep"
    first = [*BASE, "--algo", "smiling", "--set", "reward.num_timesteps=4", "--out", str(out)]
    jobs = plan(["smiling"], [ENV], [0], out, 10, {"smiling": ["--preset", "debug"]})
    record_settings(out, jobs)  # as the first sweep records them before starting its runs
    finished(jobs[0].run_dir)

    assert main(first) == 2  # another --set than the finished run's
    err = capsys.readouterr().err
    assert f"1 run(s) in '{out}' were made with other settings: smiling-{ENV}-s0" in err
    assert "--set reward.num_timesteps: unset there, 4 now" in err
    assert "--changed new" in err and "--changed keep" in err and err.count("\n") == 1

    assert main([*first, "--changed", "keep"]) == 0  # the old run stays as it is
    assert f"skipped {jobs[0].run_dir} (finished)" in capsys.readouterr().out

    new = {"smiling": ["--preset", "debug", "--set", "reward.num_timesteps=4"]}
    (job,) = plan(["smiling"], [ENV], [0], out, 10, new, changed="new")
    assert job.action == "train" and job.run_dir.name.startswith(f"smiling-{ENV}-s0-")
    record_settings(out, [job])
    (again,) = plan(["smiling"], [ENV], [0], out, 10, new, changed="new")
    assert again.run_dir == job.run_dir  # the same settings find the same new directory
    with pytest.raises(SmilingError, match="--changed new"):
        plan(["smiling"], [ENV], [0], out, 10, new)
    recorded = json.loads((out / "sweep.json").read_text())
    assert recorded[job.run_dir.name]["--set reward.num_timesteps"] == "4"


# ------------------------------------------------------------------------- Ctrl-C, for real
@pytest.mark.parametrize(
    "backend",
    # one Ray cluster at a time (test_tooling's Ray head too): a second one's auth token clashes
    ["local", pytest.param("ray", marks=pytest.mark.xdist_group("ray"))],
)
def test_one_ctrl_c_stops_the_sweep_and_names_its_runs(tmp_path, backend):
    """SIGINT to the sweep's process group while its first run trains: the run finishes its
    episode and keeps a checkpoint there, the second never starts, exit 130, and the message
    names both and says how to continue. Through Ray too (a local Ray instance that the sweep
    starts): the press reaches the run through the stop file, not through Ray's processes."""
    if backend == "ray":
        pytest.importorskip("ray")
    out = tmp_path / "sweep"
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    if backend == "ray":  # the local Ray instance writes an auth token under $HOME/.ray
        env["HOME"] = str(tmp_path / "home")
    args = [*BASE, "--algo", "smiling", "--seeds", "0-1", "--steps", "600", "--workers", "1"]
    args += ["--eval-every", "600", "--eval-episodes", "1", "--out", str(out)]
    args += ["--backend", backend]
    proc = subprocess.Popen(
        [sys.executable, "-m", "smiling.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # a process group, as a terminal's foreground job is
    )
    log = out / f"smiling-{ENV}-s0" / "sweep.log"
    try:
        while proc.poll() is None:  # until the first run is stepping its environment
            if log.exists() and "random warm-up: steps" in log.read_text():
                os.killpg(proc.pid, signal.SIGINT)
                break
            time.sleep(0.05)
        stdout, stderr = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stdout + stderr
    first, second = out / f"smiling-{ENV}-s0", out / f"smiling-{ENV}-s1"
    kept = RunDir(first).checkpoint_step()
    assert kept in (200, 400)  # the end of the episode under way, before the budget of 600
    assert f"stopped:     {first}; {first} keeps a checkpoint at step {kept}" in stderr
    assert f"not started: {second}" in stderr and not second.exists()
    assert "continue with the same `smiling sweep` command" in stderr
    assert "Traceback" not in stderr and not RunDir(first).summary_path.exists()
