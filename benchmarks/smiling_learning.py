"""Learning quality: normalised return vs environment steps over seeds, with IQM.

Usage:
  python benchmarks/smiling_learning.py run --env Pendulum-v1 --seeds 0 1 2 --steps 20000 \
      [--method smiling] [--preset fast] [--eval-every 2500] [--set KEY=VALUE ...]
  python benchmarks/smiling_learning.py report [RUN_DIR ...]

``--benchmark NAME`` (both commands) keeps a separate set of runs under that name: run
directories in benchmarks/runs/NAME/, records in results/smiling_learning/runs/NAME/ (or where a
set of that name is committed already), the report as results/smiling_learning/NAME.*; the plug-in
redesign's re-run of the Pendulum benchmark is ``--benchmark smiling_learning_rerun``.
``--method`` takes any ``smiling train --method`` spec (``--algo``, its old name, still works),
so DreamerV3's learning benchmark (docs/dreamer.md) is

  python benchmarks/smiling_learning.py run --benchmark dreamer_learning \
      --method smiling@dreamerv3 --env Pendulum-v1 --steps 50000 --eval-every 5000
  python benchmarks/smiling_learning.py report --benchmark dreamer_learning \
      --beside smiling_learning baselines

``run`` trains one run directory per seed under benchmarks/runs/ (not committed), skipping seeds
already finished (or recorded) and resuming interrupted ones from their last checkpoint (every
10k steps), and copies each finished run's record to the committed
benchmarks/results/smiling_learning/runs/smiling_learning/;
``report`` is ``smiling report`` (smiling.report) on those records and on the runs made before
records existed, rebuilt from results/smiling_learning/archive/smiling_learning_66a5ec9.json (or on
the run directories given), written as
benchmarks/results/smiling_learning/smiling_learning.{png,md,csv,json} with the machine and
versions: per (env, label) the mean curve of normalised return with a 95% bootstrap band, and the
final IQM with a bootstrap 95% CI.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from common import (
    keep_records,
    recorded_runs,
    records_dir,
    report_runs,
    results_dir,
    run_report_cli,
    train_or_resume,
)

from smiling.bundled import slug

ROOT = Path(__file__).parent
RUNS = ROOT / "runs"
BENCHMARK = "smiling_learning"  # the name of its folder, default records and archive
HOME = results_dir(BENCHMARK)  # every --benchmark NAME's report and records too


def _runs(benchmark: str) -> Path:
    """Where the benchmark's run directories live (the default one's: benchmarks/runs/)."""
    return RUNS if benchmark == BENCHMARK else RUNS / benchmark


def run(args: argparse.Namespace) -> None:
    for seed in args.seeds:
        out = _runs(args.benchmark) / f"{args.method}-{args.preset}-{slug(args.env)}-s{seed}"
        cmd = ["train", "--method", args.method, "--env", args.env, "--preset", args.preset]
        cmd += ["--seed", str(seed), "--steps", str(args.steps), "--out", str(out)]
        cmd += ["--eval-every", str(args.eval_every)]
        cmd += ["--eval-episodes", str(args.eval_episodes)]
        cmd += ["--checkpoint-every", str(args.checkpoint_every)]
        if args.action_repeat != 1:
            cmd += ["--action-repeat", str(args.action_repeat)]
        for pair in args.set:
            cmd += ["--set", pair]
        train_or_resume(out, cmd, args.steps, records_dir(args.benchmark, BENCHMARK))


def report(args: argparse.Namespace) -> None:
    """The library's report (smiling.report) on the benchmark's runs, with provenance."""
    if args.benchmark != BENCHMARK:  # records of runs finished here but not yet copied
        keep_records(
            sorted(_runs(args.benchmark).glob("*-s*")), records_dir(args.benchmark, BENCHMARK)
        )
    runs = args.dirs or recorded_runs(args.benchmark)
    beside = []
    for other in args.beside:  # e.g. the recorded SMILING+SAC runs beside DreamerV3's
        beside += [r for r in recorded_runs(other) if r.env_id in {c.env_id for c in runs}]
    # A benchmark of the same method with other settings (``--set``) would share its groups
    # with the runs beside it: name its own after the benchmark instead.
    taken = {(r.env_id, r.label) for r in beside}
    runs = [
        dataclasses.replace(r, label=f"{r.label} [{args.benchmark}]")
        if (r.env_id, r.label) in taken
        else r
        for r in runs
    ]
    report_runs([*runs, *beside], HOME, args.benchmark, args.note)


def _benchmark_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--benchmark", default=BENCHMARK, help="name of a separate set of runs")


def _run_args(p: argparse.ArgumentParser) -> None:
    _benchmark_arg(p)
    p.add_argument("--env", required=True)
    p.add_argument("--method", default="smiling", help="a `smiling train --method` spec")
    p.add_argument("--algo", dest="method", help=argparse.SUPPRESS)  # its old name
    p.add_argument("--preset", default="fast")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--eval-every", type=int, default=2500)
    p.add_argument("--eval-episodes", type=int, default=5)
    p.add_argument("--checkpoint-every", type=int, default=10_000)
    p.add_argument("--action-repeat", type=int, default=1)
    p.add_argument("--set", action="append", default=[])


def _report_args(p: argparse.ArgumentParser) -> None:
    _benchmark_arg(p)
    p.add_argument("dirs", nargs="*", type=Path)
    p.add_argument(
        "--beside",
        nargs="+",
        default=[],
        metavar="BENCHMARK",
        help="also show these benchmarks' recorded runs on the same environments",
    )


if __name__ == "__main__":
    run_report_cli(__doc__, run, report, _run_args, _report_args)
