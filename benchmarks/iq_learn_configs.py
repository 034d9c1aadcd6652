"""IQ-Learn configuration probe: does another point of IQ-Learn's settings space change the
baseline comparison? (The SMILING paper used the best of several IQ-Learn configurations and does
not list them; docs/baselines.md gives the space.)

Usage:
  python benchmarks/iq_learn_configs.py run --configs target [value-expert ...] \
      [--envs dmc:ball_in_cup-catch ...] [--seeds 0 ...]
  python benchmarks/iq_learn_configs.py report [--note TEXT]

Each configuration is IQ-Learn with the ``--set`` overrides of CONFIGS and otherwise exactly the
baseline benchmark's settings (fast preset, 150k steps, 5 deterministic evaluation episodes every
10k, bundled demonstrations, checkpoints every 10k). ``run`` trains one run directory per
(configuration, env, seed) under benchmarks/runs/iq_learn_configs/ (not committed), skipping
finished runs (those recorded too, so a fresh clone does not repeat them) and resuming
interrupted ones, and records each finished run in the committed
benchmarks/results/iq_learn_configs/runs/iq_learn_configs/. A run's config.json labels it
``iq-learn`` (the overrides are a setting, not a variant), so ``report`` labels the groups itself:
``iq-learn[<configuration>]`` for these runs, ``iq-learn[default]`` for the baseline benchmark's
IQ-Learn runs on the same environments, and writes
benchmarks/results/iq_learn_configs/iq_learn_configs. {png,md,csv,json}.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from baselines import SETTINGS, STEPS
from common import (
    recorded_runs,
    records_dir,
    report_runs,
    results_dir,
    run_report_cli,
    train_or_resume,
)

from smiling.bundled import slug
from smiling.report import RunCurve

ROOT = Path(__file__).parent
BENCHMARK = "iq_learn_configs"  # the name of its folder and records (common.results_dir)
HOME = results_dir(BENCHMARK)
RECORDS = records_dir(BENCHMARK, BENCHMARK)
RUNS = ROOT / "runs" / BENCHMARK
# Name -> IQ-Learn overrides. "default" is the baseline benchmark's IQ-Learn arm.
CONFIGS = {
    "target": ["use_target=true"],  # V(s') from the Polyak-averaged target critic
    "value-expert": ["value_on=expert"],  # value term on expert samples only
}


def _run_name(config: str, env_id: str, seed: int) -> str:
    return f"{config}-{slug(env_id)}-s{seed}"


def run(args: argparse.Namespace) -> None:
    for seed in args.seeds:
        for env_id in args.envs:
            for config in args.configs:
                out = RUNS / _run_name(config, env_id, seed)
                cmd = ["train", "--method", "iq-learn", "--env", env_id, "--seed", str(seed)]
                cmd += ["--steps", str(STEPS), *SETTINGS, "--out", str(out)]
                for pair in CONFIGS[config]:
                    cmd += ["--set", pair]
                train_or_resume(out, cmd, STEPS, RECORDS)


def _labelled(run: RunCurve, config: str) -> RunCurve:
    return dataclasses.replace(run, label=f"iq-learn[{config}]")


def report(args: argparse.Namespace) -> None:
    """The probe's runs beside the default IQ-Learn runs of the baseline benchmark."""
    runs = []
    for config in CONFIGS:
        runs += [_labelled(r, config) for r in recorded_runs(BENCHMARK, f"{config}-*", False)]
    envs = {r.env_id for r in runs}
    runs += [
        _labelled(r, "default")
        for r in recorded_runs("baselines")
        if r.label == "iq-learn" and r.env_id in envs
    ]
    report_runs(runs, HOME, BENCHMARK, args.note)


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), required=True)
    p.add_argument("--envs", nargs="+", default=["dmc:ball_in_cup-catch"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0])


if __name__ == "__main__":
    run_report_cli(__doc__, run, report, _run_args)
