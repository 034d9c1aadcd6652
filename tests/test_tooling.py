"""Experiment tooling end to end on tiny runs: the run directory (TensorBoard, videos),
``smiling eval``, resume after SIGKILL, corrupted checkpoints, sweeps (local and Ray) and reports.

Training runs go through ``python -m smiling.cli`` subprocesses that share one JAX compilation
cache, so only the first of them pays for compiling the (identical) tiny networks.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from benchmark_modules import benchmark_module
from conftest import TINY_SAC_ARGS

from smiling import SmilingError
from smiling.algos import Learner
from smiling.cli import main
from smiling.progress import Progress
from smiling.report import bootstrap_ci, group_runs, iqm, load_run, write_report
from smiling.runs import RunDir, read_tensorboard_scalars
from smiling.sweep import parse_seeds, plan, worker_env
from smiling.video import read_video

TINY = [*TINY_SAC_ARGS]
TINY += ["--set", "expert_pretrain_steps=10", "--set", "learner_update_every=100"]
TINY += ["--set", "reward.num_timesteps=4", "--set", "net.hidden=16", "--set", "val_episodes=1"]
TINY += ["--set", "learner_samples=256", "--set", "score_batch=64"]


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory) -> dict[str, str]:
    """The environment of ``smiling`` subprocesses: this checkout first on the path (absolute,
    as Ray workers run elsewhere) and a shared JAX compilation cache."""
    env = dict(os.environ)
    paths = [str(Path(p).resolve()) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, *[p for p in paths if p != src]])
    env["JAX_COMPILATION_CACHE_DIR"] = str(tmp_path_factory.mktemp("jax_cache"))
    env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    env.update(worker_env())  # the sweep's XLA flags: part of the cache key, so shared by all
    return env


def smiling(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "smiling.cli", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, **kwargs)


def eval_steps(run: Path) -> list[int]:
    with open(run / "eval.csv") as f:
        return [int(row["env_steps"]) for row in csv.DictReader(f)]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- resume after kill
@pytest.mark.timeout(300)  # a deadline: a hung kill or resume fails here
def test_sigkill_then_resume_continues_from_checkpoint(tmp_path, cli_env):
    run = tmp_path / "run"
    args = ["train", "--env", "Pendulum-v1", "--steps", "600", "--eval-every", "300"]
    args += ["--eval-episodes", "1", "--checkpoint-every", "100", "--out", str(run), *TINY]
    cmd = [sys.executable, "-m", "smiling.cli", *args]
    proc = subprocess.Popen(cmd, env=cli_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not (run / "checkpoint.old" / "progress.json").exists():  # two checkpoints
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    config_before = json.loads((run / "config.json").read_text())
    assert config_before["steps"] == 600 and config_before["loop"]["checkpoint_every"] == 100
    assert not (run / "summary.json").exists()
    step = json.loads((run / "checkpoint" / "progress.json").read_text())["step"]
    assert 200 <= step < 600 and step % 100 == 0

    result = smiling(cli_env, "resume", str(run))
    assert result.returncode == 0, result.stderr
    assert f"from step {step} of 600" in result.stdout
    assert json.loads((run / "config.json").read_text()) == config_before
    summary = json.loads((run / "summary.json").read_text())
    assert summary["env_steps"] == 600 and np.isfinite(summary["normalized_return"])
    assert eval_steps(run) == [300, 600]
    assert [r["env_steps"] for r in RunDir(run).read_metrics()] == [300, 600]
    tb = read_tensorboard_scalars(run / "tb")
    assert [s for s, _ in tb["charts/eval_return"]] == [300, 600]
    assert smiling(cli_env, "resume", str(run)).returncode == 2  # finished: nothing to do


# ------------------------------------------------------------------ one finished run, many checks
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, cli_env) -> Path:
    """300 steps, evaluations at 150 and 300, checkpoints every 100, a 12-frame video at 300."""
    run = tmp_path_factory.mktemp("finished") / "run"
    args = ["train", "--env", "Pendulum-v1", "--steps", "300", "--eval-every", "150"]
    args += ["--eval-episodes", "1", "--checkpoint-every", "100", "--video-every", "300"]
    args += ["--video-frames", "12", "--out", str(run), *TINY]
    result = smiling(cli_env, *args)
    assert result.returncode == 0, result.stderr
    assert "run directory" in result.stdout
    # not a terminal: plain progress lines with rate and ETA, and one line per evaluation
    assert "steps/s, ETA" in result.stderr and "eval return" in result.stderr
    return run


def test_run_directory_contents(finished_run):
    run = finished_run
    for name in ("config.json", "demos.npz", "metrics.jsonl", "eval.csv", "summary.json"):
        assert (run / name).is_file(), name
    assert (run / "model" / "config.json").is_file() and (run / "actor.msgpack").is_file()
    config = json.loads((run / "config.json").read_text())
    assert config["steps"] == 300 and config["loop"]["video_every"] == 300
    progress = json.loads((run / "checkpoint" / "progress.json").read_text())
    previous = json.loads((run / "checkpoint.old" / "progress.json").read_text())
    assert (progress["step"], previous["step"]) == (300, 200)
    assert not (run / "checkpoint.tmp").exists()

    metrics = RunDir(run).read_metrics()
    assert [m["env_steps"] for m in metrics] == [150, 300]
    tb = read_tensorboard_scalars(run / "tb")
    assert [s for s, _ in tb["charts/eval_return"]] == [150, 300]
    np.testing.assert_allclose(
        [v for _, v in tb["charts/eval_return"]],
        [m["charts/eval_return"] for m in metrics],
        rtol=1e-6,
    )
    assert "charts/normalized_return" in tb and "charts/SPS" in tb

    assert sorted(p.name for p in (run / "videos").iterdir()) == ["step_300.mp4"]
    frames = read_video(run / "videos" / "step_300.mp4")
    assert frames.shape == (12, 500, 500, 3) and frames.dtype == np.uint8
    assert frames.std() > 0  # a rendered scene, not a blank frame


def test_eval_command(finished_run, tmp_path, capsys):
    before = {p.name: digest(p) for p in finished_run.iterdir() if p.is_file()}
    args = ["eval", str(finished_run), "--episodes", "2", "--video", "--video-frames", "8"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "over 2 episodes" in out and "normalised" in out
    result_path = finished_run / "eval_step300_seed10000_n2.json"
    result = json.loads(result_path.read_text())
    assert result["policy"] == "model" and len(result["returns"]) == 2
    # the run's own evaluation seeds: the first episode is the training's last evaluation
    summary = json.loads((finished_run / "summary.json").read_text())
    assert result["returns"][0] == pytest.approx(summary["eval_return"], rel=1e-5)
    assert read_video(result["video"]).shape[0] == 8
    after = {p.name: digest(p) for p in finished_run.iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if k != result_path.name} == before

    unfinished = tmp_path / "unfinished"
    shutil.copytree(finished_run, unfinished)
    shutil.rmtree(unfinished / "model")
    assert main(["eval", str(unfinished), "--episodes", "1", "--seed", "3"]) == 0
    result = json.loads((unfinished / "eval_step300_seed3_n1.json").read_text())
    assert result["policy"] == "checkpoint" and result["seed"] == 3

    assert main(["eval", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "not a run directory" in err and err.count("\n") == 1


def test_eval_defaults_reproduce_the_last_evaluation(finished_run, capsys):
    """Without flags, as many episodes as training evaluated, from the same seeds: same mean."""
    config = json.loads((finished_run / "config.json").read_text())
    summary = json.loads((finished_run / "summary.json").read_text())
    assert main(["eval", str(finished_run)]) == 0
    out = capsys.readouterr().out
    n = config["loop"]["eval_episodes"]
    result = json.loads((finished_run / f"eval_step300_seed10000_n{n}.json").read_text())
    assert result["episodes"] == n and f"over {n} episodes" in out
    assert result["return_mean"] == pytest.approx(summary["eval_return"], rel=1e-5)
    # --video-frames as in `smiling train`; --max-frames, its old name, still works
    for flag in ("--video-frames", "--max-frames"):
        args = ["eval", str(finished_run), "--episodes", "1", "--seed", "5", "--video", flag, "4"]
        assert main(args) == 0
        assert read_video(finished_run / "videos" / "eval_step300_seed5.mp4").shape[0] == 4
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    shown = capsys.readouterr().out
    assert "--video-frames" in shown and "--max-frames" not in shown  # a hidden alias


def test_corrupted_checkpoint_falls_back_then_fails_clearly(finished_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    (run / "checkpoint" / "state.msgpack").write_bytes(b"\x00garbage")
    learner, steps = Learner.restore(run, steps=400)
    err = capsys.readouterr().err
    assert learner.env_steps == 200 and steps == 400 and learner.method == "smiling"
    assert err.count("\n") == 1 and "warning" in err
    assert str(run / "checkpoint" / "state.msgpack") in err and "checksum" in err
    assert learner.curve[-1][0] == 150  # the previous checkpoint's own curve
    learner.save_checkpoint(run)  # the damaged one is dropped, not kept as the previous one
    for name in ("checkpoint", "checkpoint.old"):
        assert json.loads((run / name / "progress.json").read_text())["step"] == 200

    run = tmp_path / "both"
    shutil.copytree(finished_run, run)
    (run / "checkpoint" / "state.msgpack").write_bytes(b"\x00garbage")
    (run / "checkpoint.old" / "buffer.npz").write_bytes(b"PK\x03\x04 torn")
    config = (run / "config.json").read_text()
    assert main(["resume", str(run), "--steps", "400"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert (
        "no usable checkpoint" in err[-1] and str(run / "checkpoint.old" / "buffer.npz") in err[-1]
    )
    assert not any("Traceback" in line for line in err)
    assert (run / "config.json").read_text() == config  # nothing overwritten
    with pytest.raises(SmilingError, match="not a run directory"):
        Learner.restore(tmp_path / "nowhere")


def test_resume_with_a_budget_below_the_run_says_so(finished_run, capsys):
    """Not "checkpoint unreadable": the checkpoint is fine, the budget is below its step."""
    before = {p.name: digest(p) for p in finished_run.iterdir() if p.is_file()}
    assert main(["resume", str(finished_run), "--steps", "250"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unreadable" not in err
    assert "is at step 300" in err and "250" in err and "--steps above 300" in err
    assert {p.name: digest(p) for p in finished_run.iterdir() if p.is_file()} == before


def test_out_naming_a_file_is_one_error_line(tmp_path, capsys):
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    for out in (taken, taken / "run"):
        assert main(["train", "--env", "Pendulum-v1", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("smiling: error: ") and err.count("\n") == 1, err
        assert f"'{taken}' is a file" in err
    assert main(["expert", "--env", "Pendulum-v1", "--steps", "10", "--out", str(taken)]) == 2
    assert f"'{taken}' is a file" in capsys.readouterr().err
    assert taken.read_text() == "mine"


# ------------------------------------------------------------------------------------ sweeps
SWEEP = ["sweep", "--algo", "smiling", "--env", "Pendulum-v1", "--seeds", "0-1", "--steps", "300"]
SWEEP += ["--eval-every", "300", "--eval-episodes", "1", "--checkpoint-every", "100", *TINY]


def test_sweep_local_skips_finished_and_resumes_unfinished(tmp_path, cli_env):
    out = tmp_path / "sweep"
    result = smiling(cli_env, *SWEEP, "--workers", "2", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    runs = [out / "smiling-Pendulum-v1-s0", out / "smiling-Pendulum-v1-s1"]
    for seed, run in enumerate(runs):
        summary = json.loads((run / "summary.json").read_text())
        assert summary["env_steps"] == 300 and summary["seed"] == seed
        assert "XLA" not in (run / "sweep.log").read_text()  # no flag complaints

    (runs[1] / "summary.json").unlink()  # killed after its last checkpoint
    result = smiling(cli_env, *SWEEP, "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"skipped {runs[0]}" in result.stdout and f"resume {runs[1]}: done" in result.stdout
    assert json.loads((runs[1] / "summary.json").read_text())["env_steps"] == 300

    result = smiling(cli_env, *SWEEP, "--set", "bogus=1", "--out", str(tmp_path / "bad"))
    assert result.returncode == 2  # refused before any run starts (tests/test_sweep.py)
    assert "applies to none of the sweep's arms" in result.stderr
    assert "unknown setting 'bogus'" in result.stderr and not (tmp_path / "bad").exists()


def test_sweep_plan_and_seeds(tmp_path):
    assert parse_seeds("0-2,5") == [0, 1, 2, 5] and parse_seeds("3") == [3]
    with pytest.raises(SmilingError, match="--seeds"):
        parse_seeds("a-b")
    done, partial = (
        tmp_path / "sac-dmc_cartpole-swingup-s0",
        tmp_path / "sac-dmc_cartpole-swingup-s1",
    )
    RunDir(done).write_config({"steps": 300})
    RunDir(done).write_summary({"env_steps": 300})
    RunDir(partial).write_config({"steps": 300})
    jobs = plan(["sac"], ["dmc:cartpole-swingup"], [0, 1, 2], tmp_path, 300, ["--preset", "fast"])
    assert [j.action for j in jobs] == ["skip", "resume", "train"]
    assert jobs[1].args == ("resume", str(partial), "--steps", "300")
    assert jobs[2].args[-2:] == ("--preset", "fast") and "--seed" in jobs[2].args
    longer = plan(["sac"], ["dmc:cartpole-swingup"], [0], tmp_path, 600)
    assert longer[0].args == ("resume", str(done), "--steps", "600")  # extend a finished run
    bc = RunDir(tmp_path / "bc-Pendulum-v1-s0")  # counts gradient steps, takes no env steps
    bc.write_config({"steps": 300})
    bc.write_summary({"env_steps": 0, "gradient_steps": 300})
    assert plan(["bc"], ["Pendulum-v1"], [0], tmp_path, 300)[0].action == "skip"
    (arm,) = plan(["dac+linear+actions"], ["Pendulum-v1"], [1], tmp_path, 300)
    assert arm.run_dir.name == "dac+actions+linear-Pendulum-v1-s1"
    assert arm.args[:5] == ("train", "--method", "dac", "--use-actions", "--linear")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_members(sid: int) -> list[int]:
    """Live processes of session ``sid`` (zombies excluded: they are already dead)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":  # fields: state, ppid, pgrp, session
            pids.append(int(stat.parent.name))
    return pids


def _kill_session(sid: int) -> list[int]:
    """SIGKILL every process of session ``sid`` (ours: the Ray head and all it started) until
    none is left; returns those still alive after 10 s (none expected)."""
    for _ in range(100):
        members = _session_members(sid)
        if not members:
            break
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    return _session_members(sid)


@pytest.mark.xdist_group("ray")  # one Ray cluster at a time: a second one's auth token clashes
def test_sweep_on_a_local_ray_head(tmp_path, cli_env):
    pytest.importorskip("ray")
    port, temp = _free_port(), tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short socket paths
    ray = str(Path(sys.executable).with_name("ray"))
    cmd = [ray, "start", "--head", f"--port={port}", "--num-cpus=2", "--block"]
    cmd += ["--include-dashboard=false", f"--temp-dir={temp}", "--node-ip-address=127.0.0.1"]
    with open(tmp_path / "head.log", "w") as log:
        head = subprocess.Popen(
            cmd, env=cli_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        out = tmp_path / "sweep"
        address = f"127.0.0.1:{port}"
        result = smiling(
            cli_env, *SWEEP, "--backend", "ray", "--address", address, "--out", str(out)
        )
        assert result.returncode == 0, result.stdout + result.stderr
        for seed in (0, 1):
            summary = json.loads(
                (out / f"smiling-Pendulum-v1-s{seed}" / "summary.json").read_text()
            )
            assert summary["env_steps"] == 300 and summary["seed"] == seed
    finally:
        left = _kill_session(head.pid)
        head.wait()
        shutil.rmtree(temp, ignore_errors=True)
    assert left == []


# ------------------------------------------------------------------------------------ reports
def _synthetic_run(
    root: Path, algo: str, env_id: str, seed: int, steps, values, label: str | None = None
) -> Path:
    run = RunDir(root / f"{label or algo}-{env_id}-s{seed}")
    config = {"algo": algo, "env_id": env_id, "seed": seed, "steps": int(steps[-1])}
    run.write_config(config if label is None else {**config, "label": label})
    rows = [[s, -100.0 * (1 - v), 0.0, v, 1.0, 50.0] for s, v in zip(steps, values, strict=True)]
    run.write_curve(rows)
    return run.path


def test_report_never_pools_two_versions_of_one_preset(tmp_path):
    """A run recorded before preset versions used version 1; a newer version of the same preset
    ran other numbers, so its seeds are no replicates of the old ones."""
    steps, values = [100, 200], [0.2, 0.8]
    old = _synthetic_run(tmp_path / "runs", "smiling", "Pendulum-v1", 0, steps, values)
    new = _synthetic_run(tmp_path / "runs", "smiling", "Pendulum-v1", 1, steps, values)
    for path, extra in ((old, {}), (new, {"preset_version": 2})):
        RunDir(path).write_config({**RunDir(path).read_config(), "preset": "fast", **extra})
    assert load_run(old).preset_version == 1 and load_run(new).preset_version == 2
    with pytest.raises(SmilingError, match="two versions of the 'fast' preset"):
        group_runs([load_run(old), load_run(new)])
    RunDir(new).write_config({**RunDir(new).read_config(), "preset_version": 1})
    assert len(group_runs([load_run(old), load_run(new)])[("Pendulum-v1", "smiling")]) == 2


def test_report_refuses_to_overwrite_and_names_unfinished_runs(tmp_path, capsys):
    steps, values = [100, 200], [0.2, 0.8]
    done = _synthetic_run(tmp_path / "runs", "smiling", "Pendulum-v1", 0, steps, values)
    RunDir(done).write_summary({"env_steps": 200})
    mid_way = _synthetic_run(tmp_path / "runs", "smiling", "Pendulum-v1", 1, steps, values)
    out = tmp_path / "report"
    assert main(["report", str(done), "--out", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err  # every run finished: nothing to say
    before = {p.name: digest(p) for p in out.iterdir()}

    assert main(["report", str(done), str(mid_way), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already holds a report" in err and "--overwrite" in err
    assert {p.name: digest(p) for p in out.iterdir()} == before  # nothing lost

    assert main(["report", str(done), str(mid_way), "--out", str(out), "--overwrite"]) == 0
    captured = capsys.readouterr()
    assert "over seeds [0, 1]" in captured.out  # the unfinished run is reported too...
    warning = captured.err.splitlines()
    assert len(warning) == 1 and "1 of 2 runs are unfinished" in warning[0]  # ...and named
    assert str(mid_way) in warning[0] and str(done) not in warning[0]

    (tmp_path / "file").write_text("")
    assert main(["report", str(done), "--out", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_report_groups_runs_with_different_grids(tmp_path, capsys):
    finals = [0.1, 0.5, 0.6, 0.7, 1.0]
    dirs = []
    for seed, final in enumerate(finals):
        every = 100 if seed % 2 else 250  # two evaluation grids
        steps = list(range(every, 1001, every))
        values = list(np.linspace(0.0, final, len(steps)))
        dirs.append(
            _synthetic_run(tmp_path / "runs", "smiling", "Pendulum-v1", seed, steps, values)
        )
    dirs.append(_synthetic_run(tmp_path / "runs", "sac", "Pendulum-v1", 0, [500], [0.2]))
    linear = _synthetic_run(
        tmp_path / "runs", "smiling", "Pendulum-v1", 9, [500], [0.3], label="smiling+linear"
    )
    dirs.append(linear)  # its own arm, not a sixth seed of smiling
    dirs.append(
        _synthetic_run(
            tmp_path / "runs", "dac", "Pendulum-v1", 0, [100, 200, 300], [0.5, 0.95, 0.8]
        )
    )
    steps, values = [100, 200, 300, 400], [0.95, 0.5, 0.92, 0.97]  # reached, lost, kept
    dirs.append(_synthetic_run(tmp_path / "runs", "bc", "Pendulum-v1", 0, steps, values))
    dirs.append(
        _synthetic_run(tmp_path / "runs", "smiling", "dmc:cartpole-swingup", 0, [1, 2], [0.3, 0.4])
    )
    no_demos = _synthetic_run(tmp_path / "runs", "sac", "Hopper-v5", 0, [10, 20], [0.0, 0.0])
    RunDir(no_demos).write_curve([[10, 5.0, 0, "", 1, 1], [20, 7.0, 0, "", 1, 1]])
    dirs.append(no_demos)

    out = tmp_path / "report"
    assert main(["report", *map(str, dirs), "--out", str(out)]) == 0
    assert "IQM 0.60" in capsys.readouterr().out
    png = (out / "report.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    table = (out / "report.md").read_text()
    assert (
        "| Pendulum-v1 | smiling | 5 | 1000 | 0.10, 0.50, 0.60, 0.70, 1.00 | 0.58 | 0.60 |" in table
    )
    assert "| Hopper-v5 | sac (return) | 1 | 20 | 7.00 |" in table
    assert table.count("| [0.80, 0.80] | 200 | not kept |") == 1  # dac: 0.95 at 200, then 0.8
    assert "| [0.30, 0.30] | not reached | not kept |" in table and "| n/a | n/a |" in table
    assert "| [0.97, 0.97] | 100 | 300 |" in table
    # Last fifth: dac averages only its 300 evaluation (0.8), bc only 400; the smiling seeds
    # evaluated every 100 average 800-1000, those every 250 only 1000.
    assert "| [0.80, 0.80] | 200 | not kept | 0.80 [0.80, 0.80] |" in table
    assert "| 100 | 300 | 0.97 [0.97, 0.97] |" in table
    payload = json.loads((out / "report.json").read_text())
    row = next(
        r for r in payload["table"] if r["label"] == "smiling" and r["env_id"] == "Pendulum-v1"
    )
    assert row["final_iqm"] == pytest.approx(0.6)
    lo, hi = row["final_iqm_ci95"]
    assert lo <= 0.6 <= hi and lo >= 0.1 and hi <= 1.0
    late_expected = [
        np.mean(np.linspace(0.0, f, 10)[-3:]) if seed % 2 else f for seed, f in enumerate(finals)
    ]
    assert row["late_per_seed"] == pytest.approx(late_expected, abs=1e-4)
    assert row["late_iqm"] == pytest.approx(iqm(late_expected), abs=1e-4)
    curve = next(
        c for c in payload["curves"] if c["label"] == "smiling" and c["env_id"] == "Pendulum-v1"
    )
    assert curve["env_steps"][0] == 100 and curve["n"][0] == 2  # 250-grid runs start later
    assert curve["n"][-1] == 5 and curve["mean"][-1] == pytest.approx(np.mean(finals))
    assert "| Pendulum-v1 | smiling+linear | 1 | 500 | 0.30 |" in table
    with open(out / "report.csv") as f:
        assert len(list(csv.DictReader(f))) == 11

    before = digest(out / "report.md")
    args = ["report", str(tmp_path / "runs"), "--out", str(out), "--overwrite"]
    assert main(args) == 2  # not a run dir: even with --overwrite, the old report stays
    assert "not a run directory" in capsys.readouterr().err
    assert digest(out / "report.md") == before


def _without_dirs(payload: dict) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "run_dirs"} for row in payload["table"]]


def _same_curves(got: list[dict], want: list[dict]) -> None:
    """Equal up to float rounding (a rebuilt middle seed is 3 * mean - low - high)."""
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.keys() == w.keys()
        for key, value in w.items():
            assert g[key] == (value if isinstance(value, str) else pytest.approx(value, abs=1e-12))


def test_rebuilt_runs_give_the_same_report_and_pool_with_new_seeds(tmp_path):
    """A report's JSON alone brings back groups of 1-3 seeds: reported again, alone or beside
    a new seed, they give exactly what their lost run directories would have given."""
    rebuild_runs = benchmark_module("archive").rebuild_runs
    rng = np.random.default_rng(3)
    steps = list(range(100, 1001, 100))
    dirs = {}  # (algo, seed) -> run dir
    for algo, seeds in (("smiling", 3), ("dac", 2), ("bc", 1)):
        for seed in range(seeds + 1):  # the last seed is the "new" one
            values = np.clip(np.cumsum(rng.uniform(-0.2, 0.3, len(steps))), -0.1, 1.05)
            dirs[algo, seed] = _synthetic_run(
                tmp_path / "runs", algo, "Pendulum-v1", seed, steps, list(values)
            )
    old = [d for (algo, seed), d in dirs.items() if seed < {"smiling": 3, "dac": 2}.get(algo, 1)]
    new = [d for d in dirs.values() if d not in old]
    first = write_report(old, tmp_path / "a")
    rebuilt = rebuild_runs(json.loads((tmp_path / "a" / "report.json").read_text()), "old.json")
    assert all(r.rebuilt for r in rebuilt) and not load_run(old[0]).rebuilt
    assert sorted((r.label, r.seed) for r in rebuilt) == sorted(
        (load_run(d).label, load_run(d).seed) for d in old
    )
    again = write_report(rebuilt, tmp_path / "b")
    _same_curves(again["curves"], first["curves"])
    assert _without_dirs(again) == _without_dirs(first)
    assert any(d.endswith("#dac-Pendulum-v1-s1") for r in again["table"] for d in r["run_dirs"])

    # Pooled with the new seed: the same table and curves as the four (three) directories.
    pooled = write_report([*rebuilt, *new], tmp_path / "c")
    direct = write_report([*old, *new], tmp_path / "d")
    _same_curves(pooled["curves"], direct["curves"])
    for got, want in zip(_without_dirs(pooled), _without_dirs(direct), strict=True):
        late, late_ci = got.pop("late_iqm"), got.pop("late_iqm_ci95")
        assert late == pytest.approx(want.pop("late_iqm"), abs=1e-4)  # rebuilt: 4 decimals
        assert late_ci == pytest.approx(want.pop("late_iqm_ci95"), abs=1e-4)
        assert got.pop("late_per_seed") == pytest.approx(want.pop("late_per_seed"), abs=1e-4)
        assert got == want

    with pytest.raises(SmilingError, match="dac on Pendulum-v1 with seed 0"):
        group_runs([*rebuilt, load_run(dirs["dac", 0])])  # the same seed twice
    four = json.loads((tmp_path / "d" / "report.json").read_text())  # smiling has 4 seeds here
    with pytest.raises(SmilingError, match="smiling on Pendulum-v1: cannot rebuild"):
        rebuild_runs(four, "four.json")
    edited = json.loads((tmp_path / "a" / "report.json").read_text())
    edited["curves"][0]["ci_high"][4] += 0.1
    with pytest.raises(SmilingError, match="do not give the report's numbers"):
        rebuild_runs(edited, "edited.json")
    del edited["table"][0]["late_per_seed"]
    with pytest.raises(SmilingError, match="edited.json: not a report's JSON"):
        rebuild_runs(edited, "edited.json")


def test_iqm_and_bootstrap():
    assert iqm([1, 2, 3, 4, 5, 6, 7, 8]) == pytest.approx(4.5)
    assert iqm([1, 2, 30]) == pytest.approx(11.0)  # fewer than 4: the mean
    assert bootstrap_ci([0.5, 0.5, 0.5]) == (0.5, 0.5)
    lo, hi = bootstrap_ci(list(range(20)))
    assert lo < iqm(range(20)) < hi


def test_progress_lines_without_terminal(capsys):
    """A line per fraction and per evaluation, never two for one step: the evaluation at a
    step where a fraction falls is in that step's one line (the loop ticks after evaluating)."""
    bar = Progress("smiling Pendulum-v1", total=100, bar=False, fraction=0.25, seconds=1e9)
    for step in range(1, 101):
        bar.update(step)
        if step in (50, 60):
            bar.evaluated(f"eval return -150.0 at step {step}")
        bar.tick()
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "[smiling Pendulum-v1] training: steps 0 to 100"  # the phase
    steps = [line.split(" step ")[1].split("/")[0] for line in lines[1:]]
    assert steps == ["25", "50", "60", "75", "100"]  # one line per step
    assert lines[1].startswith("[smiling Pendulum-v1] step 25/100 (25%)") and "ETA" in lines[1]
    assert lines[2].endswith("last eval return -150.0 at step 50")
    assert lines[-1].endswith("last eval return -150.0 at step 60")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_rate_is_recent_and_eta_waits_for_training(capsys):
    """The random warm-up (fast) says nothing about training (slow): no ETA during it; then
    the rate and ETA follow the last minute, not the average since the start."""
    clock = FakeClock()
    bar = Progress("rl Pendulum-v1", 10_000, bar=False, warmup=1000, seconds=1e9, clock=clock)
    for step in range(1, 1000):  # warm-up at 1000 steps/s
        clock.now += 0.001
        bar.update(step)
    assert bar.eta() is None and "ETA ? (measured once training starts)" in bar._status()
    bar.update(1000)  # the warm-up's last step is taken: training begins
    for step in range(1001, 3001):  # 200 s at 10 steps/s
        clock.now += 0.1
        bar.update(step)
    assert bar.rate() == pytest.approx(10, rel=0.02)
    assert bar.eta() == pytest.approx(700, rel=0.02)
    for step in range(3001, 6001):  # then 20 steps/s for 150 s: the window forgets the slow part
        clock.now += 0.05
        bar.update(step)
    assert bar.rate() == pytest.approx(20, rel=0.02)
    assert bar.eta() == pytest.approx(200, rel=0.02)
    phases = [line for line in capsys.readouterr().err.splitlines() if "step " not in line[:30]]
    assert phases == [
        "[rl Pendulum-v1] random warm-up: steps 0 to 1000 (random actions, no updates)",
        "[rl Pendulum-v1] training: steps 1000 to 10000",
    ]


def test_pre_training_has_a_progress_of_its_own(capsys):
    clock = FakeClock()
    shown = Progress(
        "smiling Pendulum-v1", 100, bar=False, unit="update", phase="pre-training", clock=clock
    )
    for done in range(10, 101, 10):
        clock.now += 1
        shown.update(done)
    shown.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "[smiling Pendulum-v1] pre-training: 100 updates"
    assert lines[1].startswith("[smiling Pendulum-v1] update 10/100 (10%)")
    assert "update 50/100 (50%), 10.0 updates/s, ETA 5s" in lines[5]
    assert len(lines) == 11


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--env", "Pendulum-v1", "--eval-every", "0"], "--eval-every must be at least 1"),
        (["train", "--env", "Pendulum-v1", "--video-every", "-1"], "--video-every must be at"),
        (["train", "--env", "Pendulum-v1", "--action-repeat", "0"], "--action-repeat must be"),
        (["sweep", "--algo", "dreamer", "--env", "Pendulum-v1"], "unknown method 'dreamer'"),
        (["sweep", "--env", "NoSuchEnv-v0"], "unknown environment 'NoSuchEnv-v0'"),
        (["sweep", "--env", "Pendulum-v1", "--seeds", "x"], "--seeds x"),
        (["resume", "{tmp}/missing"], "not a run directory"),
        (["report", "{tmp}/missing"], "not a run directory"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "out"
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    args += ["--out", str(out)] if args[0] != "resume" else []
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()
