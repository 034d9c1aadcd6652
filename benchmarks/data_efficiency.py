"""How little data is enough? (issue 20, item 1): SMILING and DAC from a single demonstration
episode, beside the recorded runs of the same methods with the default demonstrations.

Usage:
  python benchmarks/data_efficiency.py run [--arms smiling dac] [--envs ENV ...]
      [--seeds 0 1 2] [--steps 150000] [--episode E]
  python benchmarks/data_efficiency.py report [--note TEXT]

Each arm learns from the first episode of the bundled state-only demonstrations
(``smiling train --demo-episodes 1``), with everything else as the recorded default runs on
dmc:cartpole-swingup and dmc:ball_in_cup-catch: fast preset, 150k environment steps, 5
deterministic evaluation episodes every 10k steps on the true reward, checkpoints every 10k
(baselines.py's SETTINGS). The evaluation's normalised return still uses the demonstrations
file's expert and random returns (the mean over its 10 episodes), as the default runs do.

Each (seed, arm) run goes to benchmarks/runs/data_efficiency/<arm>-1demo-<env slug>-s<seed>
(not committed); a finished or recorded run is skipped, an interrupted one continues from its
last checkpoint, and each finished run's record goes to
benchmarks/results/data_efficiency/runs/data_efficiency/ (common.run_grid). Seed 0 of every arm on
every task runs first. On two cores, one ``run`` per core, pinned and single-threaded, each with its
own task (both arms on each core, so the two halves cost about the same):

  XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
      taskset -c 0 python benchmarks/data_efficiency.py run --envs dmc:cartpole-swingup
  XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
      taskset -c 1 python benchmarks/data_efficiency.py run --envs dmc:ball_in_cup-catch

``--episode E`` (E > 0) trains the arms on the bundled episode E alone instead of the first
(``Demonstrations.select``; runs ``<arm>-1demo-epE-...``): the first episode of a file is not
always a typical one. On ball_in_cup-catch it starts with the ball nearly caught (in the cup from
step 4; the other nine episodes catch at steps 9 to 67), so it shows no swing.

``report`` writes benchmarks/results/data_efficiency/data_efficiency.{png,md,csv,json} in the
library's format (final IQM with its bootstrap CI, the last 20%'s IQM, the first step at which the
IQM curve reaches 0.9 and the step from which it stays there) over the 1-demo records and, beside
them, the recorded default runs: SMILING's from the learning benchmark (smiling_learning, rebuilt
from its archive) and DAC's from the baseline comparison (baselines: records and archive).
Every arm is labelled by the demonstration episodes it trained on (:func:`label`): with the
bundled 10 episodes SMILING holds out the last 5 (its ``val_episodes``) for the score model's
validation loss and trains on 5, DAC trains on all 10; with one episode both train on it
(SMILING then has no validation loss, and says so; docs/notes/questions.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from pathlib import Path

from baselines import ENVS, SETTINGS, STEPS  # the default runs' tasks, budget, settings
from common import recorded_runs, records_dir, report_runs, results_dir, run_grid, run_report_cli

from smiling.algos.legacy import upgrade_config
from smiling.report import RunCurve

BENCHMARK = "data_efficiency"  # the name of its folder and records (common.results_dir)
HOME = results_dir(BENCHMARK)
DEMO_EPISODES = 1
ARMS = {
    method: ["--method", method, "--demo-episodes", str(DEMO_EPISODES)]
    for method in ("smiling", "dac")
}
# The benchmark that recorded each method's default runs on these tasks, and their run names.
DEFAULTS = {"smiling": ("smiling_learning", "smiling-fast-*"), "dac": ("baselines", "dac-*")}
# Episodes the default runs trained on, for those rebuilt from an archive (no config.json):
# the bundled 10; SMILING's fast preset holds out val_episodes = 5 of them.
ARCHIVED_EPISODES = {"smiling": 5, "dac": 10}


def arm_name(method: str, episode: int = 0) -> str:
    """The arm's run-name prefix: ``smiling-1demo`` (the first episode), ``smiling-1demo-ep1``."""
    return f"{method}-{DEMO_EPISODES}demo" + (f"-ep{episode}" if episode else "")


def episode_file(env_id: str, episode: int) -> Path:
    """A demonstrations file of the bundled episode ``episode`` alone (returns unchanged, so
    runs are scored against the same bar), written once under runs/data_efficiency/demos/."""
    from smiling import bundled_demos
    from smiling.bundled import slug

    path = Path(__file__).parent / "runs" / BENCHMARK / "demos" / f"{slug(env_id)}-ep{episode}.npz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        bundled_demos(env_id).select([episode]).save(path)
    return path


def arms_for(env_id: str, methods: list[str], episode: int) -> dict[str, list[str]]:
    """Each arm's ``smiling train`` options: ``--demo-episodes 1`` for the first episode, else
    the one-episode file of ``episode``."""
    if episode == 0:
        return {arm_name(m): ARMS[m] for m in methods}
    demos = str(episode_file(env_id, episode))
    return {arm_name(m, episode): ["--method", m, "--demos", demos] for m in methods}


def run(args: argparse.Namespace) -> None:
    for seed in args.seeds:  # seed 0 of every arm on every task first
        for env_id in args.envs:
            arms = arms_for(env_id, args.arms, args.episode)
            records = records_dir(BENCHMARK, BENCHMARK)
            run_grid(BENCHMARK, env_id, arms, [seed], args.steps, SETTINGS, records)


def trained_episodes(curve: RunCurve) -> int:
    """The demonstration episodes ``curve``'s run trained on: those its config.json records,
    less SMILING's held-out validation episodes when it had more than those to hold out."""
    config_path = Path(curve.path) / "config.json"
    if not config_path.exists():  # rebuilt from an archived report
        return ARCHIVED_EPISODES[curve.label]
    config = upgrade_config(json.loads(config_path.read_text()), config_path)
    episodes = int(config["demos"]["episodes"])
    settings = config["method"]["config"]
    held = int(settings.get("val_episodes", 0)) if curve.label == "smiling" else 0
    return episodes - held if episodes > held else episodes


def label(curve: RunCurve) -> RunCurve:
    """``curve`` with its arm's label: the method and its training episodes, ``dac (1 demo)``."""
    n = trained_episodes(curve)
    chosen = re.search(rf"-{DEMO_EPISODES}demo-ep(\d+)-", Path(curve.path).name)
    which = f", episode {chosen.group(1)}" if chosen else ""
    demos = f"{n} demo{'s' if n != 1 else ''}{which}"
    return dataclasses.replace(curve, label=f"{curve.label} ({demos})")


def default_runs() -> list[RunCurve]:
    """The recorded default runs of each method on ENVS: its benchmark's records, then the runs
    rebuilt from its archive (a seed recorded both ways counts once, as its record)."""
    runs = []
    for method, (benchmark, pattern) in DEFAULTS.items():
        kept: dict[tuple[str, int], RunCurve] = {}
        for r in recorded_runs(benchmark, pattern, archived=True):  # records come first
            if r.label == method and r.env_id in ENVS:
                kept.setdefault((r.env_id, r.seed), r)
        runs += kept.values()
    return runs


def one_demo_runs() -> list[RunCurve]:
    return [r for m in ARMS for r in recorded_runs(BENCHMARK, f"{arm_name(m)}-*", False)]


def report(args: argparse.Namespace) -> None:
    runs = [label(r) for r in [*one_demo_runs(), *default_runs()]]
    note = (
        f"{args.note} 1-demo arms: the first episode of the bundled state-only demonstrations "
        "(--demo-episodes 1); default arms: SMILING from smiling_learning, DAC from baselines "
        "(records and rebuilt archives), bundled 10 episodes. Fast preset, 150k env steps, "
        "5 deterministic evaluation episodes every 10k."
    )
    report_runs(runs, HOME, BENCHMARK, note.strip())


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    p.add_argument("--envs", nargs="+", default=ENVS, choices=ENVS)
    p.add_argument("--steps", type=int, default=STEPS)
    p.add_argument(
        "--episode",
        type=int,
        default=0,
        help="which bundled episode the arms learn from (default 0, the first: --demo-episodes 1)",
    )


if __name__ == "__main__":
    run_report_cli(__doc__, run, report, _run_args)
