"""The paper's cheetah-run comparison (issue 18): SMILING vs DAC, with and without linear
score functions / discriminator, from the bundled state-only demonstrations.

Usage:
  python benchmarks/cheetah_run.py run --arms smiling dac [--seeds 0] [--steps 500000]
  python benchmarks/cheetah_run.py report [--note TEXT]

``run`` brings each (seed, arm) run to ``--steps`` environment steps, seed by seed (seed 0 of
every arm first, so a partial grid is balanced), in benchmarks/runs/cheetah_run/<arm>-<env
slug>-s<seed> (not committed): a finished or recorded run is skipped, an interrupted one
continues from its last checkpoint (every 25k steps), and each finished run's record goes to
the committed benchmarks/results/runs/cheetah_run/ (common.train_or_resume). For a grid on two
cores, start one ``run`` per core, each pinned and single-threaded, with its own arms:

  XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
      taskset -c 0 python benchmarks/cheetah_run.py run --arms smiling smiling+linear --seeds 0

Every arm uses the fast preset and 5 deterministic evaluation episodes every 25k steps on the
true reward. ``report`` writes benchmarks/results/cheetah_run.{png,md,csv,json} in the library's
format over the recorded runs, with the bundled expert's own training curve (SAC on the true
reward, from results/expert_curves.json, normalised by the demonstrations' returns) as the
reference group ``expert (sac, true reward)``.
"""

from __future__ import annotations

import argparse

from common import expert_curve, recorded_runs, report_runs, run_grid, run_report_cli

from smiling.variants import spec_args

BENCHMARK = "cheetah_run"  # the name of its records (results/runs/<name>)
ENV = "dmc:cheetah-run"
STEPS = 500_000
ARMS = ["smiling", "dac", "smiling+linear", "dac+linear"]
SETTINGS = ["--preset", "fast", "--eval-every", "25000", "--eval-episodes", "5"]
SETTINGS += ["--checkpoint-every", "25000", "--video-every", "0"]


def run(args: argparse.Namespace) -> None:
    run_grid(BENCHMARK, ENV, {a: spec_args(a) for a in args.arms}, args.seeds, args.steps, SETTINGS)


def report(args: argparse.Namespace) -> None:
    """The library's report over the recorded runs and the expert's curve."""
    report_runs(
        [*recorded_runs(BENCHMARK, archived=False), expert_curve(ENV)], BENCHMARK, args.note
    )


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--arms", nargs="+", default=ARMS)
    p.add_argument("--steps", type=int, default=STEPS)


if __name__ == "__main__":
    run_report_cli(__doc__, run, report, _run_args)
