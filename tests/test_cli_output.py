"""What the screen says is true (issue 38, items 6, 8 and 10): bad data is refused or warned
about, advice is only what the command accepts, and names and steps agree across outputs.
Through the real entry point (``smiling.cli.main``) on the debug preset and tiny budgets."""

from __future__ import annotations

import json

import numpy as np
from conftest import make_demos

from smiling.cli import main

TINY = ["--preset", "debug", "--eval-episodes", "1"]


def _raw_actions_file(path, actions: np.ndarray):
    """A demonstrations file written without the package's checks (another pipeline's)."""
    make_demos(episodes=2, length=100).save(path)
    with np.load(path) as npz:
        arrays = dict(npz)
    arrays["actions"] = actions
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def test_actions_outside_the_unit_range_fail_info_and_bc(tmp_path, capsys):
    bad = _raw_actions_file(tmp_path / "big.npz", np.full((200, 1), 5.0, np.float32))
    assert main(["info", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "200 of 200 action values lie outside [-1, 1]" in err and err.count("\n") == 1
    out = tmp_path / "bc"
    args = ["train", "--algo", "bc", "--env", "Pendulum-v1", "--demos", str(bad)]
    assert main([*args, "--steps", "10", "--out", str(out), *TINY]) == 2
    assert "lie outside [-1, 1]" in capsys.readouterr().err
    assert not out.exists()


def test_reversed_returns_warn_in_info_and_at_train_start_and_normalise_nothing(tmp_path, capsys):
    demos = tmp_path / "reversed.npz"
    make_demos(episodes=2, length=100).with_returns(expert=-1200.0, random=-150.0).save(demos)
    assert main(["info", str(demos)]) == 0
    captured = capsys.readouterr()
    assert "expert / random: -1200.0 / -150.0" in captured.out
    assert "warning: " in captured.err and "is below the random return" in captured.err
    out = tmp_path / "run"
    args = ["train", "--algo", "smiling+linear", "--env", "Pendulum-v1", "--demos", str(demos)]
    args += ["--steps", "150", "--eval-every", "150", "--out", str(out), *TINY]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "expert return (-1200.0) is below the random return (-150.0)" in captured.err
    # the summary line names the arm as the progress line does (smiling+linear, not smiling)
    assert "smiling+linear on Pendulum-v1:" in captured.out
    assert "normalised return unavailable: the expert return (-1200.0) is below" in captured.out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["normalized_return"] is None
    rows = (out / "eval.csv").read_text().splitlines()[1:]
    assert rows and all(row.split(",")[3] == "nan" for row in rows)


def test_a_run_without_demonstrations_is_not_told_to_pass_reference_returns(tmp_path, capsys):
    """MountainCarContinuous has no bundled demonstrations, so `rl` learns without any: the
    end of the run gives no advice that the flags would then refuse."""
    args = ["train", "--algo", "rl", "--env", "MountainCarContinuous-v0", *TINY]
    args += ["--steps", "50", "--eval-every", "50"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "normalised return unavailable: the run has no demonstrations" in out
    assert "--expert-return" not in out
    known = ["--expert-return", "90", "--random-return", "-30", "--out", str(tmp_path / "b")]
    assert main([*args, *known]) == 2
    err = capsys.readouterr().err
    assert "this run has no demonstrations" in err and err.count("\n") == 1


def test_bc_evaluation_names_its_gradient_step(tmp_path, capsys):
    """BC takes no environment steps: `smiling eval` says which gradient step it evaluated and
    names its files by it, so evaluations at different steps keep their own files. A run
    stopped before its first checkpoint has nothing to evaluate, and is told so in eval's
    words (not "no checkpoint to resume from")."""
    demos = tmp_path / "d.npz"
    make_demos(episodes=2, length=100).save(demos)
    run = tmp_path / "bc"
    args = ["train", "--algo", "bc", "--env", "Pendulum-v1", "--demos", str(demos), *TINY]
    assert main([*args, "--steps", "20", "--eval-every", "20", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--episodes", "1"]) == 0
    out = capsys.readouterr().out
    assert "bc on Pendulum-v1 (model, gradient step 20)" in out
    assert (run / "eval_step20_seed10000_n1.json").is_file()
    stopped = tmp_path / "stopped"  # config.json and demos.npz: what a run writes first
    stopped.mkdir()
    for name in ("config.json", "demos.npz"):
        (stopped / name).write_bytes((run / name).read_bytes())
    assert main(["eval", str(stopped)]) == 2
    err = capsys.readouterr().err
    assert "has no policy to evaluate yet" in err and "resume from" not in err
