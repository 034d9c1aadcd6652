"""The reward scale decided by measurement (issue 41, step 1): SMILING with ``reward.scale=std``
vs ``reward.scale=robust`` on five tasks, every run at one commit, from one worktree.

Usage:
  python benchmarks/reward_scale.py run [--tasks ...] [--arms std robust] [--seeds 0 1 2]
  python benchmarks/reward_scale.py report [--note TEXT]

``run`` brings each (seed, task, arm) run to its task's budget, seed-major (seed 0 of every task
and arm first, cheap tasks first, so a partial grid is balanced and answers early), in
benchmarks/runs/reward_scale/<arm>-<env slug>-s<seed> (not committed): a finished or recorded
run is skipped, an interrupted one continues from its last checkpoint, and each finished run's
record goes to benchmarks/results/runs/reward_scale/ (common.train_or_resume). Run it from a
worktree at a fixed commit, pinned and single-threaded, one process per core:

  XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
      taskset -c 0 python benchmarks/reward_scale.py run

Both arms set the scale explicitly (``--set reward.scale=...``), so the grid measures the same
thing whatever the preset's default is when it runs. Budgets and evaluation cadences are the
recorded benchmarks' own (``TASKS``); only SMILING runs, fast preset, 5 deterministic evaluation
episodes on the true reward.

``report`` writes benchmarks/results/reward_scale.{png,md,csv,json} (the library's report, per
task and arm) and reward_scale_decision.md: per task the IQM of the last 20% and the first step
at which the IQM curve reaches 0.9, for each arm; the mean over tasks; the rule's verdict (the
higher mean of the last-20% IQMs wins, ties broken by the earlier first IQM >= 0.9, and no task
may drop by more than 0.05 against the other arm); and, where an earlier commit recorded the
same (task, scale, seed), whether the grid's re-run reproduces that curve exactly.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
from common import (
    recorded_runs,
    records_dir,
    report_runs,
    results_dir,
    run_report_cli,
    train_or_resume,
)

from smiling.bundled import slug
from smiling.io import atomic_write
from smiling.report import SOLVED, RunCurve, aggregate, iqm, late_value

BENCHMARK = "reward_scale"
HOME = results_dir(BENCHMARK)  # results/ itself while the grid lasts (common.TOP_LEVEL)
RECORDS = records_dir(BENCHMARK, BENCHMARK)
ARMS = {"std": ["--set", "reward.scale=std"], "robust": ["--set", "reward.scale=robust"]}


@dataclasses.dataclass(frozen=True)
class Task:
    """One task's budget as its recorded benchmark ran it."""

    steps: int
    eval_every: int
    checkpoint_every: int
    seeds: tuple[int, ...] = (0, 1, 2)


# Cheap tasks first: seed 0 of everything answers the most per core-hour.
TASKS = {
    "Pendulum-v1": Task(20_000, 2_500, 10_000),
    "dmc:cartpole-swingup": Task(150_000, 10_000, 10_000),
    "dmc:ball_in_cup-catch": Task(150_000, 10_000, 10_000),
    "Hopper-v5": Task(300_000, 10_000, 25_000, seeds=(0, 1)),
    "dmc:cheetah-run": Task(500_000, 25_000, 25_000),
}

# Earlier records of the same (task, scale) at the same settings: a stand-in is allowed only
# where the grid's seed-0 re-run reproduces the record's curve exactly (``report`` checks).
EARLIER = {
    ("Pendulum-v1", "robust"): "smiling_robust/smiling-fast-Pendulum-v1-s{seed}",
    ("dmc:cartpole-swingup", "robust"): "smiling_robust/smiling-fast-dmc_cartpole-swingup-s{seed}",
    (
        "dmc:ball_in_cup-catch",
        "robust",
    ): "smiling_robust/smiling-fast-dmc_ball_in_cup-catch-s{seed}",
    ("Hopper-v5", "std"): "early_termination/absorbing-soft-Hopper-v5-s{seed}",
    ("dmc:cheetah-run", "std"): "cheetah_run/smiling-dmc_cheetah-run-s{seed}",
}


def run_dir(arm: str, env_id: str, seed: int) -> Path:
    return Path(__file__).parent / "runs" / BENCHMARK / f"{arm}-{slug(env_id)}-s{seed}"


def run(args: argparse.Namespace) -> None:
    seeds = sorted({s for env in args.tasks for s in TASKS[env].seeds} & set(args.seeds))
    for seed in seeds:
        for env_id in args.tasks:
            task = TASKS[env_id]
            if seed not in task.seeds:
                continue
            for arm in args.arms:
                out = run_dir(arm, env_id, seed)
                cmd = ["train", "--method", "smiling", *ARMS[arm], "--env", env_id]
                cmd += ["--seed", str(seed), "--steps", str(task.steps), "--preset", "fast"]
                cmd += ["--eval-every", str(task.eval_every), "--eval-episodes", "5"]
                cmd += ["--checkpoint-every", str(task.checkpoint_every), "--video-every", "0"]
                cmd += ["--out", str(out)]
                train_or_resume(out, cmd, task.steps, RECORDS)


def labelled_runs() -> list[RunCurve]:
    """The grid's records, each labelled ``smiling [scale]``."""
    runs = []
    for arm in ARMS:
        for curve in recorded_runs(BENCHMARK, f"{arm}-*", archived=False):
            runs.append(dataclasses.replace(curve, label=f"smiling [{arm}]"))
    return runs


def first_iqm_solved(curves: list[RunCurve]) -> int | None:
    """The first evaluation step at which the IQM over seeds reaches ``SOLVED`` (0.9)."""
    agg = aggregate(curves)
    hits = (np.asarray(agg["iqm"]) >= SOLVED).nonzero()[0]
    return int(agg["env_steps"][hits[0]]) if hits.size else None


def _returns(record: Path) -> list[tuple[str, str]]:
    """A record's curve as written: (env_steps, return_mean) per evaluation, wall clock left out."""
    rows = (record / "eval.csv").read_text().splitlines()
    cols = rows[0].split(",")
    i, j = cols.index("env_steps"), cols.index("return_mean")
    return [(r.split(",")[i], r.split(",")[j]) for r in rows[1:]]


def reproduced(env_id: str, arm: str) -> str:
    """Whether the grid's seed-0 run reproduces the earlier record of (env, arm) exactly."""
    pattern = EARLIER.get((env_id, arm))
    if pattern is None:
        return "no earlier record"
    earlier_set, earlier_run = pattern.format(seed=0).split("/")
    old, new = (
        records_dir(earlier_set, BENCHMARK) / earlier_run,
        RECORDS / run_dir(arm, env_id, 0).name,
    )
    if not (old / "eval.csv").exists() or not (new / "eval.csv").exists():
        return "not yet compared"
    same = _returns(old) == _returns(new)
    return f"{'yes' if same else 'no'} ({old.parent.name})"


def decision(curves: list[RunCurve]) -> tuple[str, dict]:
    """The decision table (markdown) and its numbers, over tasks with every seed of both arms."""
    rows, per_arm = [], {arm: [] for arm in ARMS}
    for env_id, task in TASKS.items():
        cells, complete = {}, True
        for arm in ARMS:
            group = [c for c in curves if c.env_id == env_id and c.label == f"smiling [{arm}]"]
            done = [c for c in group if int(c.steps[-1]) >= task.steps]
            complete &= len(done) == len(task.seeds)
            late = iqm(late_value(c.steps, c.normalized) for c in done) if done else None
            cells[arm] = (len(done), late, first_iqm_solved(done) if done else None)
        if complete:
            for arm in ARMS:
                per_arm[arm].append(cells[arm][1])
        rows.append((env_id, task, cells, complete))
    lines = [
        "| task | budget | arm | seeds done | IQM of last 20% | first IQM >= 0.9 | "
        "seed 0 reproduces the earlier record |",
        "|" + " --- |" * 7,
    ]
    for env_id, task, cells, _ in rows:
        for arm, (n, late, first) in cells.items():
            late_s = f"{late:.2f}" if late is not None else ""
            first_s = f"{first / 1000:g}k" if first is not None else ("never" if n else "")
            lines.append(
                f"| {env_id} | {task.steps // 1000}k | {arm} | {n}/{len(task.seeds)} | {late_s} "
                f"| {first_s} | {reproduced(env_id, arm)} |"
            )
    numbers = {"tasks_complete": [r[0] for r in rows if r[3]]}
    if numbers["tasks_complete"]:
        means = {arm: float(np.mean(v)) for arm, v in per_arm.items()}
        drops = {
            arm: max(o - s for s, o in zip(per_arm[arm], per_arm[other], strict=True))
            for arm, other in (("std", "robust"), ("robust", "std"))
        }
        numbers |= {"mean_late": means, "largest_drop": drops}
        lines.append("")
        lines.append(
            f"Over the {len(numbers['tasks_complete'])} complete tasks: mean IQM of the last 20% "
            + ", ".join(f"{a} {m:.3f}" for a, m in means.items())
            + "; largest drop against the other arm: "
            + ", ".join(f"{a} {d:.2f}" for a, d in drops.items())
            + "."
        )
    if len(numbers["tasks_complete"]) < len(TASKS):
        lines.append("")
        lines.append("The grid is not complete: no verdict yet.")
    return "\n".join(lines) + "\n", numbers


def report(args: argparse.Namespace) -> None:
    curves = labelled_runs()
    report_runs(curves, HOME, BENCHMARK, args.note)
    text, _ = decision(curves)
    atomic_write(HOME / f"{BENCHMARK}_decision.md", lambda f: f.write(text), mode="w")
    print(text)


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    p.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])


if __name__ == "__main__":
    run_report_cli(__doc__, run, report, _run_args)
