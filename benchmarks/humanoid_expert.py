"""The humanoid experts (issue 37 item 4: dmc:humanoid-walk; issue 39: the Unitree H1 tasks): the
``simba`` agent's ``fast`` preset on the true reward, one seed, action repeat 2, keeping the
best-evaluated actor.

Usage:
  python benchmarks/humanoid_expert.py run [--env ENV] [--steps N] [--seed 0]
  python benchmarks/humanoid_expert.py milestone [--env ENV] [--seed 0]
  python benchmarks/humanoid_expert.py report [--env ENV] [--note TEXT]

ENV is dmc:humanoid-walk (the default) or one of the Unitree H1 tasks (issue 39, same preset and
cadences; ``BUDGETS`` below).

Every step count here is a **decision** (one action, held for two simulator frames). ``run``
trains into benchmarks/runs/humanoid_expert/simba-<env>-s<seed> (not committed),
evaluating 10 deterministic episodes every 25k decisions and checkpointing every 25k; an
interrupted run continues from its last checkpoint, a finished or recorded one is skipped, and
the finished run's record goes to benchmarks/results/runs/humanoid_expert/. The budget (1.2M
decisions, 2.4M frames) is the 25 core-hours of the issue at the measured ~60-75 ms per decision
on a shared core; docs/humanoids.md explains the choice. Run it pinned and single-threaded:

  XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
      taskset -c 1 python benchmarks/humanoid_expert.py run

``milestone`` writes a compact copy of the run at its newest checkpoint
(``Learner.compact_copy``: actor, critic, temperature and normaliser, no replay or optimiser
moments, about 3 MB) to benchmarks/results/humanoid_expert/milestones/<run>-step_<N>, to be
committed every 250k decisions and at the end. On a machine without the run directory, ``run``
starts from the newest milestone: the agent refills its replay by acting for its warm-up length
(5k decisions) before it updates again.

``report`` writes benchmarks/results/humanoid_expert.{png,md,csv,json} (an H1 task:
humanoid_expert_<env>.*) from the record (or from the run directory while it trains): return
against decisions, with frames in the table.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from common import RESULTS, records_dir, report_runs, results_dir, run_report_cli, train_or_resume

from smiling.bundled import slug
from smiling.report import load_run
from smiling.runs import RunDir

BENCHMARK = "humanoid_expert"
HOME = results_dir(BENCHMARK)  # results/ itself while the run lasts (common.TOP_LEVEL)
RECORDS = records_dir(BENCHMARK, BENCHMARK)
ENV = "dmc:humanoid-walk"
# Decision budgets: the core-hours of issues 37 (humanoid-walk: 25) and 39 (H1 tasks: 15) at the
# measured ~60-75 ms per decision on a shared core. An H1 task with and without HumanoidBench's
# early end (pelvis below 0.5 m) is two entries: issue 39 trains whichever learns faster.
BUDGETS = {
    ENV: 1_200_000,
    "smiling/H1-sit_simple-v0": 800_000,
    "smiling/H1-sit_simple-term-v0": 800_000,
    "smiling/H1-crawl-v0": 800_000,
    "smiling/H1-pole-v0": 800_000,
    "smiling/H1-pole-term-v0": 800_000,
}
SETTINGS = ["--method", "rl", "--agent", "simba", "--preset", "fast", "--action-repeat", "2"]
SETTINGS += ["--keep-best", "--eval-every", "25000", "--eval-episodes", "10"]
SETTINGS += ["--checkpoint-every", "25000", "--video-every", "0"]
RUNS = Path(__file__).parent / "runs" / BENCHMARK
MILESTONES = RESULTS / BENCHMARK / "milestones"


def run_dir(env: str, seed: int) -> Path:
    return RUNS / f"simba-{slug(env)}-s{seed}"


def milestones(env: str, seed: int) -> list[Path]:
    """The committed compact copies of the run, oldest first."""
    found = MILESTONES.glob(f"{run_dir(env, seed).name}-step_*")
    return sorted(found, key=lambda p: int(p.name.rsplit("_", 1)[1]))


def run(args: argparse.Namespace) -> None:
    out = run_dir(args.env, args.seed)
    if not RunDir(out).checkpoints() and milestones(args.env, args.seed):
        newest = milestones(args.env, args.seed)[-1]
        print(f"no checkpoint in {out}: continuing from the milestone {newest}", file=sys.stderr)
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(newest, out)
    steps = args.steps or BUDGETS[args.env]
    cmd = ["train", *SETTINGS, "--env", args.env, "--seed", str(args.seed)]
    cmd += ["--steps", str(steps), "--out", str(out)]
    train_or_resume(out, cmd, steps, RECORDS)


def milestone(args: argparse.Namespace) -> None:
    from smiling.algos.persistence import Learner

    source = run_dir(args.env, args.seed)
    step = RunDir(source).checkpoint_step()
    if step is None:
        raise SystemExit(f"{source} has no checkpoint to copy")
    dest = MILESTONES / f"{source.name}-step_{step}"
    copied = Learner.compact_copy(source, dest)
    if copied != step:  # a newer checkpoint landed meanwhile: name the copy by what it holds
        dest = dest.rename(MILESTONES / f"{source.name}-step_{copied}")
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    print(f"wrote {dest} ({size / 2**20:.1f} MiB, step {copied})")


def report(args: argparse.Namespace) -> None:
    out = run_dir(args.env, args.seed)
    record = RECORDS / out.name
    source = record if (record / "summary.json").exists() else out
    name = BENCHMARK if args.env == ENV else f"{BENCHMARK}_{slug(args.env)}"
    report_runs([load_run(source)], HOME, name, args.note)


def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", default=ENV, choices=sorted(BUDGETS))
    p.add_argument("--seed", type=int, default=0)


def _run_args(p: argparse.ArgumentParser) -> None:
    _report_args(p)
    p.add_argument("--steps", type=int, default=0, help="decisions (default: the env's budget)")


if __name__ == "__main__":
    run_report_cli(
        __doc__, run, report, _run_args, _report_args, more={"milestone": (milestone, _report_args)}
    )
