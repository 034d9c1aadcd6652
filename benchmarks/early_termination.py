"""Early termination (issue 19): SMILING on Hopper-v5 with and without the absorbing-state
treatment (smiling.termination), from the bundled state-only Hopper demonstrations.

Usage:
  python benchmarks/early_termination.py run --arms absorbing none [--seeds 0 1] [--steps 300000]
  python benchmarks/early_termination.py report [--note TEXT]

Hopper-v5 ends an episode when the robot falls. ``absorbing`` is SMILING's default
(``termination=absorbing``); ``none`` cuts the bootstrap at a fall as a plain RL learner does
(``--set termination=none``). Each (seed, arm) run goes to benchmarks/runs/early_termination/
<arm>-Hopper-v5-s<seed> (not committed); a finished or recorded run is skipped, an interrupted
one continues from its last checkpoint (every 25k steps), and each finished run's record goes to
benchmarks/results/runs/early_termination/. Seed 0 of every arm runs first. On two cores, one
``run`` per core, pinned and single-threaded, each with its own arm:

  XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
      taskset -c 0 python benchmarks/early_termination.py run --arms absorbing

Every run: fast preset, 5 deterministic evaluation episodes every 10k steps on the true reward.
``report`` writes benchmarks/results/early_termination.{png,md,csv,json} in the library's format,
the arms labelled by their treatment, beside the bundled expert's own training curve.
"""

from __future__ import annotations

import argparse
import dataclasses

from common import expert_curve, recorded_runs, report_runs, run_grid, run_report_cli

from smiling.report import RunCurve

BENCHMARK = "early_termination"
ENV = "Hopper-v5"
STEPS = 300_000
ARMS = {
    "absorbing": [],  # the default
    "none": ["--set", "termination=none"],
    "absorbing-soft": [],  # PROBE branch absorb-soft: r(s_a) within one std of the batch mean
}
LABELS = {
    "absorbing": "smiling (absorbing states)",
    "none": "smiling (no treatment)",
    # A probe, run from branch absorb-one (commit 19d4fe4): one absorbing row per terminal in the
    # learner's FIFO instead of the rest of the episode (Kostrikov et al.'s one transition).
    "absorbing1": "smiling (absorbing, one row per terminal)",
}
SETTINGS = ["--preset", "fast", "--eval-every", "10000", "--eval-episodes", "5"]
SETTINGS += ["--checkpoint-every", "25000", "--video-every", "0"]


def run(args: argparse.Namespace) -> None:
    arms = {arm: ["--algo", "smiling", *ARMS[arm]] for arm in args.arms}
    run_grid(BENCHMARK, ENV, arms, args.seeds, args.steps, SETTINGS)


def labelled_runs() -> list[RunCurve]:
    """The recorded runs, each labelled by its arm (both arms are the method 'smiling')."""
    runs = []
    for arm, label in LABELS.items():
        for curve in recorded_runs(BENCHMARK, f"{arm}-*", archived=False):
            runs.append(dataclasses.replace(curve, algo=label))
    return runs


def report(args: argparse.Namespace) -> None:
    report_runs([*labelled_runs(), expert_curve(ENV)], BENCHMARK, args.note)


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    p.add_argument("--steps", type=int, default=STEPS)


if __name__ == "__main__":
    run_report_cli(__doc__, run, report, _run_args)
