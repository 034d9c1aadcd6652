"""Argument and path errors come at once (issue 38, items 5, 8 and 9): one line, exit 2, and
before JAX or any environment is imported, so a typo costs no start-up; nothing is written.
That includes a method's and an agent's settings (``--set``, ``--preset``), whose configs and
registry entries import no JAX."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Run in a fresh interpreter: each case calls the CLI's main, and once all are done the modules
# that a slow start imports must still be absent.
SLOW = ("jax", "flax", "gymnasium", "dm_control", "mujoco")  # what a slow start imports
SCRIPT = (
    f"""
SLOW = {SLOW!r}
"""
    + """
import contextlib, io, json, sys
from smiling.cli import main

results = []
for args in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(args)
    results.append([code, err.getvalue()])
slow = sorted(m for m in SLOW if m in sys.modules)
print(json.dumps({"results": results, "slow": slow}))
"""
)


def _fake_run(path: Path, steps: int = 300, finished: bool = True) -> Path:
    """A run directory as far as its files go: config.json, and summary.json once finished."""
    path.mkdir(parents=True)
    config = {"algo": "rl", "env_id": "Pendulum-v1", "seed": 0, "steps": steps}
    (path / "config.json").write_text(json.dumps(config))
    if finished:
        (path / "summary.json").write_text(json.dumps({"env_steps": steps}))
    return path


def _cases(tmp: Path) -> list[tuple[list[str], str]]:
    run = _fake_run(tmp / "finished")
    unstarted = _fake_run(tmp / "unstarted", finished=False)
    notes = tmp / "notes"
    notes.mkdir()
    (notes / "notes.txt").write_text("mine")
    taken = tmp / "file.txt"
    taken.write_text("mine")
    new = str(tmp / "new")
    train = ["train", "--env", "Pendulum-v1"]
    return [
        ([*train, "--seed", "-1", "--out", new], "--seed must be 0 or more, got -1"),
        ([*train, "--algo", "gail", "--out", new], "unknown method 'gail' in 'gail'"),
        ([*train, "--agent", "ppo", "--out", new], "unknown agent 'ppo'; known agents: sac"),
        ([*train, "--algo", "rl@ppo", "--out", new], "unknown agent 'ppo'"),
        ([*train, "--steps", "0", "--out", new], "--steps must be at least 1, got 0"),
        ([*train, "--eval-every", "0", "--out", new], "--eval-every must be at least 1"),
        ([*train, "--demo-episodes", "0", "--out", new], "--demo-episodes must be at least 1"),
        ([*train, "--demos", str(tmp / "none.npz"), "--out", new], "none.npz' does not exist"),
        ([*train, "--out", str(taken)], f"'{taken}' is a file"),
        ([*train, "--out", str(run)], f"run directory '{run}' already exists"),
        ([*train, "--out", str(notes)], "is a folder of other files (notes.txt)"),
        ([*train, "--out", "/proc/smiling-test/run"], "cannot create '/proc/smiling-test/run'"),
        ([*train, "--out", "/sys/smiling-test"], "cannot create '/sys/smiling-test'"),
        (["expert", "--env", "Pendulum-v1", "--steps", "10", "--seed", "-2"], "--seed must be 0"),
        (["expert", "--env", "Pendulum-v1", "--steps", "10", "--out", str(run)], "holds an expert"),
        (["resume", str(run)], "has finished: it is at step 300 of 300"),
        (["resume", str(run), "--steps", "0"], "--steps must be at least 1, got 0"),
        (["resume", str(notes)], "not a run directory"),
        (["eval", str(unstarted)], "has no policy to evaluate yet"),
        (["eval", str(run), "--seed", "-1"], "--seed must be 0 or more"),
        (["eval", str(run), "--episodes", "0"], "--episodes must be at least 1"),
        (["sweep", "--env", "Pendulum-v1", "--steps", "0", "--out", new], "--steps must be at"),
        (["sweep", "--env", "Pendulum-v1", "--out", str(taken)], "is a file"),
        (["demos", "--expert", str(run), "--out", new, "--seed", "-1"], "--seed must be 0"),
    ]


def _run_cases(cases: list[tuple[list[str], str]]) -> list[str]:
    """Run every case's command in one fresh interpreter; check each fails with its one line,
    and that none imported what a slow start imports. The slow modules loaded, if any."""
    argv = json.dumps([args for args, _ in cases])
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, argv], capture_output=True, text=True, check=True
    )
    outcome = json.loads(proc.stdout.splitlines()[-1])
    for (args, message), (code, err) in zip(cases, outcome["results"], strict=True):
        assert code == 2, (args, err)
        assert err.startswith("smiling: error: ") and err.count("\n") == 1, (args, err)
        assert message in err, (args, err)
    return outcome["slow"]


def test_argument_and_path_errors_come_before_jax_and_environments(tmp_path):
    cases = _cases(tmp_path)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    assert _run_cases(cases) == [], "an argument error waited for these imports"
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # nothing written
    assert (tmp_path / "notes" / "notes.txt").read_text() == "mine"


def _settings_cases(tmp: Path) -> list[tuple[list[str], str]]:
    """Unknown, malformed and out-of-range settings of methods and agents, in every command
    that takes ``--set``."""
    new = str(tmp / "new")
    train = ["train", "--env", "Pendulum-v1", "--out", new]
    expert = ["expert", "--env", "Pendulum-v1", "--steps", "10", "--out", new]
    sweep = ["sweep", "--env", "Pendulum-v1", "--out", new]
    return [
        ([*train, "--set", "nosuch=1"], "--set nosuch: unknown setting 'nosuch'; known: ["),
        ([*train, "--set", "sac.nosuch=1"], "--set sac.nosuch: unknown setting 'nosuch'"),
        ([*train, "--set", "agent.nosuch=1"], "unknown setting 'nosuch'"),
        ([*train, "--set", "reward.nosuch=1"], "--set reward.nosuch: unknown setting 'nosuch'"),
        (
            [*train, "--set", "reward.num_timesteps=many"],
            "--set reward.num_timesteps=many: expected a value of type int",
        ),
        ([*train, "--set", "reward.scale=bogus"], "--set reward.scale=bogus: unknown scale"),
        ([*train, "--set", "net.activation=swish"], "net.activation=swish: unknown activation"),
        ([*train, "--set", "sac.batch_size=-5"], "sac.batch_size=-5: batch_size must be at least"),
        ([*train, "--set", "noequals"], "--set expects key=value, got 'noequals'"),
        ([*train, "--method", "dac", "--set", "reward_style=wgan"], "unknown reward_style 'wgan'"),
        ([*train, "--method", "bc", "--set", "loss=l1"], "unknown BC loss 'l1'"),
        ([*train, "--method", "iq-learn", "--set", "value_on=x"], "unknown value_on 'x'"),
        (
            [*train, "--agent", "dreamerv3", "--set", "dreamerv3.horizon=0"],
            "--set dreamerv3.horizon=0: horizon must be at least 1, got 0",
        ),
        ([*train, "--agent", "simba", "--set", "simba.critics=0"], "critics must be at least 1"),
        ([*train, "--method", "bc", "--agent", "dreamerv3"], "bc works only with the agent(s)"),
        ([*train, "--method", "rl", "--linear"], "rl"),
        ([*expert, "--set", "nosuch=1"], "--set nosuch=1: only sac.<field> settings apply here"),
        ([*expert, "--set", "sac.nosuch=1"], "--set sac.nosuch: unknown setting 'nosuch'"),
        ([*sweep, "--set", "nosuch=1"], "--set nosuch=1 applies to none of the sweep's arms"),
        ([*sweep, "--set", "reward.num_timesteps=x"], "expected a value of type int (in arm"),
    ]


def test_method_and_agent_setting_errors_come_before_jax(tmp_path):
    """A ``--set`` key that names nothing, a value of the wrong type or out of range, and a
    method that cannot drive the agent: refused from the JAX-free configs, not after a start."""
    cases = _settings_cases(tmp_path)
    assert _run_cases(cases) == [], "a settings error waited for these imports"
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_an_unknown_preset_is_refused_before_jax():
    """``--preset`` takes the names every method and agent defines; another name is refused
    by the parser, naming the flag and the choices."""
    code = (
        "import sys\nfrom smiling.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as stop:\n    code = stop.code\n"
        f"print(code, sorted(m for m in {SLOW!r} if m in sys.modules))"
    )
    for command in ("train", "expert", "sweep"):
        args = [command, "--env", "Pendulum-v1", "--steps", "10", "--preset", "turbo"]
        proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
        assert proc.stdout.split() == ["2", "[]"], (command, proc.stdout, proc.stderr)
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith(f"smiling {command}: error: argument --preset: invalid choice")
        assert "'turbo'" in last and "fast" in last


def test_registry_entries_import_no_jax():
    """Every method's and agent's entry, with its config and presets, resolves without JAX; the
    class it names is imported on first use of ``entry.cls``, bound to that entry."""
    code = """
import sys
from smiling.algos.registry import METHODS
from smiling.rl.registry import AGENTS
entries = [METHODS[name] for name in METHODS] + [AGENTS[name] for name in AGENTS]
configs = [entry.presets[preset] for entry in entries for preset in entry.presets]
print(sorted(m for m in ("jax", "flax", "optax", "gymnasium") if m in sys.modules))
print(all(METHODS[name].cls.entry is METHODS[name] for name in METHODS))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split("\n")[:2] == ["[]", "True"], proc.stdout


def test_a_negative_seed_is_a_setting_error_in_the_library():
    from smiling.algos import TrueReward
    from smiling.errors import SettingError

    with pytest.raises(SettingError, match="seed must be an integer of 0 or more, got -1"):
        TrueReward("Pendulum-v1", seed=-1)


def test_learn_refuses_a_folder_of_other_files_and_an_uncreatable_one(tmp_path):
    """The library keeps the CLI's rule: a run's files are never mixed into a folder of the
    user's, and a folder that cannot be made is one SmilingError, not an OSError."""
    from smiling import SmilingError
    from smiling.algos import TrueReward

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "notes.txt").write_text("mine")
    learner = TrueReward("Pendulum-v1", preset="debug")
    with pytest.raises(SmilingError, match="folder of other files"):
        learner.learn(10, run_dir=notes)
    assert [p.name for p in notes.iterdir()] == ["notes.txt"]
    with pytest.raises(SmilingError, match="cannot create '/proc/smiling-test/run'"):
        learner.learn(10, run_dir="/proc/smiling-test/run")
