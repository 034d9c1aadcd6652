"""Early termination (issue 19): SMILING on Hopper-v5 with and without the absorbing-state
treatment (smiling.termination), from the bundled state-only Hopper demonstrations.

Usage:
  python benchmarks/early_termination.py run --arms absorbing-soft none [--seeds 0 1] \
      [--steps 300000]
  python benchmarks/early_termination.py report [--note TEXT]

Hopper-v5 ends an episode when the robot falls. ``absorbing-soft`` is SMILING's default
(``termination=absorbing``, the absorbing reward clipped to within one standard deviation of the
batch's mean); ``none`` cuts the bootstrap at a fall as a plain RL learner does
(``--set termination=none``). Two more arms were probes of earlier versions of the treatment,
run from their own commits (their records are reported, they cannot be run from here):
``absorbing`` (r(s_a) clipped to the batch's range; commit 870d5fb) and ``absorbing1`` (that,
with one absorbing row per terminal in the learner's FIFO; branch absorb-one, 19d4fe4). The
default arm's runs were made from branch absorb-soft (9f3d617), whose only change from 870d5fb
is the clip that main now has.

Each (seed, arm) run goes to benchmarks/runs/early_termination/<arm>-Hopper-v5-s<seed> (not
committed); a finished or recorded run is skipped, an interrupted one continues from its last
checkpoint (every 25k steps), and each finished run's record goes to
benchmarks/results/early_termination/runs/early_termination/. Seed 0 of every arm runs first. On two
cores, one ``run`` per core, pinned and single-threaded, each with its own arm:

  XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
      taskset -c 0 python benchmarks/early_termination.py run --arms absorbing-soft

Every run: fast preset, 5 deterministic evaluation episodes every 10k steps on the true reward.
``report`` writes benchmarks/results/early_termination/early_termination.{png,md,csv,json} in the
library's format, the arms labelled by their treatment, beside the bundled expert's own training
curve.
"""

from __future__ import annotations

import argparse
import dataclasses

from common import (
    expert_curve,
    recorded_runs,
    records_dir,
    report_runs,
    results_dir,
    run_grid,
    run_report_cli,
)

from smiling.bundled import slug
from smiling.report import RunCurve

BENCHMARK = "early_termination"
HOME = results_dir(BENCHMARK)
ENV = "Hopper-v5"
STEPS = 300_000
ARMS = {
    "absorbing-soft": [],  # the default
    "none": ["--set", "termination=none"],
}
LABELS = {
    "absorbing-soft": "smiling (absorbing states, default)",
    "none": "smiling (no treatment)",
    "absorbing": "probe: absorbing, r(s_a) in the batch's range",
    "absorbing1": "probe: absorbing, range clip, one row per terminal",
}
SETTINGS = ["--preset", "fast", "--eval-every", "10000", "--eval-episodes", "5"]
SETTINGS += ["--checkpoint-every", "25000", "--video-every", "0"]


def run(args: argparse.Namespace) -> None:
    arms = {arm: ["--method", "smiling", *ARMS[arm]] for arm in args.arms}
    records = records_dir(BENCHMARK, BENCHMARK)
    run_grid(BENCHMARK, ENV, arms, args.seeds, args.steps, SETTINGS, records)


def labelled_runs() -> list[RunCurve]:
    """The recorded runs, each labelled by its arm (both arms are the method 'smiling')."""
    runs = []
    for arm, label in LABELS.items():
        for curve in recorded_runs(BENCHMARK, f"{arm}-{slug(ENV)}-s*", archived=False):
            runs.append(dataclasses.replace(curve, label=label))
    return runs


def report(args: argparse.Namespace) -> None:
    report_runs([*labelled_runs(), expert_curve(ENV)], HOME, BENCHMARK, args.note)


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    p.add_argument("--steps", type=int, default=STEPS)


if __name__ == "__main__":
    run_report_cli(__doc__, run, report, _run_args)
