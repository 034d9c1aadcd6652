"""Baseline comparison (issue 4): SMILING vs DAC, IQ-Learn and BC, their action and linear arms.

Usage:
  python benchmarks/baselines.py run [--seeds 0 1 2] [--envs ENV ...] [--arms SPEC ...]
      [--steps 150000] [--workers N]
  python benchmarks/baselines.py report [--note TEXT]

``run`` is ``smiling sweep`` over the grid, one seed and one environment at a time (seed 0 of
every arm first, so a partial grid is a balanced one). Run directories go to
benchmarks/runs/baselines/<arm>-<env slug>-s<seed> (not committed); the command is resumable:
finished runs are skipped and interrupted ones continue from their last 10k-step checkpoint.
Each finished run's record (config, summary, eval.csv, metrics) is copied to the committed
benchmarks/results/baselines/runs/baselines/<run name>/, which is what ``report`` reads (common.py).
Every arm uses the fast preset, 5 deterministic evaluation episodes every 10k steps on the true
reward, and the bundled demonstrations (state-only unless the arm reads actions). BC's budget is
gradient steps (it takes no environment steps), the same number.

The runs made before records existed (seeds 0 and 1 of every arm, seed 2 of BC on
cartpole-swingup, and the state-only SMILING arm, whose runs are the SMILING learning benchmark's:
same preset, budget and evaluation) lost their directories; ``report`` rebuilds them from the
report they were in, results/baselines/archive/baselines_66a5ec9.json. ``report`` writes
benchmarks/results/baselines/baselines.{png,md,csv,json} and one figure per question,
baselines_{methods,actions,linear}.png, and rewrites the results table of
docs/notes/baselines_results.md (between its ``<!-- table -->`` markers) from the same numbers, so
the docs never carry a hand-copied figure.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import (
    keep_records,
    recorded_runs,
    records_dir,
    report_runs,
    results_dir,
    run_report_cli,
)

from smiling.algos.legacy import report_label
from smiling.algos.registry import get_method
from smiling.bundled import slug
from smiling.cli import main as smiling_main
from smiling.errors import SmilingError
from smiling.io import atomic_write
from smiling.report import RunCurve, group_runs, plot_curves
from smiling.variants import parse_spec

ROOT = Path(__file__).parent
DOC = ROOT.parent / "docs" / "notes" / "baselines_results.md"  # its results table
TABLE_MARKERS = ("<!-- table -->", "<!-- /table -->")
BENCHMARK = "baselines"  # the name of its folder, records and archive (common.results_dir)
HOME = results_dir(BENCHMARK)
RECORDS = records_dir(BENCHMARK, BENCHMARK)
SWEEP = ROOT / "runs" / BENCHMARK
ENVS = ["dmc:cartpole-swingup", "dmc:ball_in_cup-catch"]
STEPS = 150_000  # every arm's budget (BC: gradient steps), the SMILING benchmark's
# What every arm shares besides the budget (iq_learn_configs.py uses both).
SETTINGS = ["--preset", "fast", "--eval-every", "10000", "--eval-episodes", "5"]
SETTINGS += ["--checkpoint-every", "10000", "--video-every", "0"]
# Cheapest first within a seed; state-only smiling comes from the learning benchmark's runs.
ARMS = [
    "bc",
    "dac",
    "iq-learn",
    "smiling+actions",
    "dac+actions",
    "smiling+linear",
    "dac+linear",
]
# One figure per question (all arms in one panel are unreadable):
# results/baselines/baselines_<name>.png.
FIGURES = {
    "methods": ("SMILING vs the baselines", ["smiling", "dac", "iq-learn", "bc"]),
    "actions": (
        "state-only vs state-action demonstrations",
        ["smiling", "smiling+actions", "dac", "dac+actions"],
    ),
    "linear": ("linear score / discriminator", ["smiling", "smiling+linear", "dac", "dac+linear"]),
}


def _demos(spec: str) -> str:
    """What of the demonstrations an arm reads: "actions" or "states" (the docs' demos column)."""
    method, variants = parse_spec(spec)
    return "actions" if get_method(method).always_actions or "actions" in variants else "states"


def _steps(value: int | None, spec: str, missing: str) -> str:
    """A step count in thousands, saying so where the method's budget counts gradient steps."""
    if value is None:
        return missing
    unit = get_method(parse_spec(spec)[0]).step_unit
    return f"{value // 1000}k" + (" (gradient steps)" if unit == "gradient" else "")


def _per_seed(values: list[float], iqm: float, ci: list[float]) -> str:
    """Each seed's value, then the IQM with its CI (three or more seeds) or the mean (two)."""
    text = ", ".join(f"{v:.2f}" for v in values)
    if len(values) >= 3:
        return f"{text} (IQM {iqm:.2f} [{ci[0]:.2f}, {ci[1]:.2f}])"
    if len(values) == 2:
        return f"{text} (mean {sum(values) / 2:.2f})"
    return text


def docs_table(table: list[dict]) -> str:
    """The results table of docs/notes/baselines_results.md: per-seed values, tasks and arms in grid
    order."""
    methods = FIGURES["methods"][1]
    order = [*methods, *(arm for arm in ARMS if arm not in methods)]  # methods, then variants
    rows = {(r["env_id"], report_label(r)): r for r in table}
    lines = [
        "| task | arm | demos | seeds | final normalised return "
        "| mean over the last 20% (120k-150k) | reached 0.9 | kept from |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for env_id in ENVS:
        for arm in order:
            r = rows.get((env_id, arm))
            if r is None:
                continue
            cells = [
                env_id.split(":", 1)[1],
                arm,
                _demos(arm),
                str(len(r["seeds"])),
                _per_seed(r["final_per_seed"], r["final_iqm"], r["final_iqm_ci95"]),
                _per_seed(r["late_per_seed"], r["late_iqm"], r["late_iqm_ci95"]),
                _steps(r["first_env_steps_iqm_at_least_0.9"], arm, "not reached"),
                _steps(r["env_steps_iqm_stays_at_least_0.9"], arm, "not kept"),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def update_doc(table: list[dict], doc: Path = DOC) -> None:
    """Replace the text between the docs' table markers with :func:`docs_table`."""
    start, end = TABLE_MARKERS
    text = doc.read_text()
    if text.count(start) != 1 or text.count(end) != 1:
        raise SmilingError(f"{doc}: expected one {start} and one {end} around the results table")
    head, rest = text.split(start)
    _, tail = rest.split(end)
    new = f"{head}{start}\n{docs_table(table)}\n{end}{tail}"
    atomic_write(doc, lambda f: f.write(new), mode="w")


def run(args: argparse.Namespace) -> None:
    for seed in args.seeds:
        for env_id in args.envs:
            cmd = ["sweep", "--method", ",".join(args.arms), "--env", env_id, "--seeds", str(seed)]
            cmd += ["--steps", str(args.steps), *SETTINGS, "--out", str(SWEEP)]
            if args.workers:
                cmd += ["--workers", str(args.workers)]
            code = smiling_main(cmd)
            keep_records(SWEEP.iterdir(), RECORDS)  # what finished, even if a run failed
            if code:
                raise SystemExit(code)


def _new_smiling_runs() -> list[RunCurve]:
    """State-only SMILING runs the learning benchmark (same preset, budget and evaluation)
    recorded on this benchmark's environments; its older ones are in this benchmark's archive."""
    return [
        run
        for env_id in ENVS
        for run in recorded_runs("smiling_learning", f"smiling-fast-{slug(env_id)}-s*", False)
    ]


def report(args: argparse.Namespace) -> None:
    """The library's report over the recorded runs; unfinished ones are named in the note."""
    started = sorted(p for p in SWEEP.glob("*") if (p / "config.json").exists())
    keep_records(started, RECORDS)
    unfinished = [p.name for p in started if not (p / "summary.json").exists()]
    note = args.note
    if unfinished:
        note += f" Unfinished runs, not reported: {', '.join(unfinished)}."
    runs = recorded_runs(BENCHMARK) + _new_smiling_runs()
    payload = report_runs(runs, HOME, BENCHMARK, note.strip())
    update_doc(payload["table"])
    groups = group_runs(runs)
    # The colours baselines.png gives the full grid (sorted labels), in every figure.
    every_arm = sorted({label for _, label in groups})
    colors = {label: f"C{i}" for i, label in enumerate(every_arm)}
    for name, (title, arms) in FIGURES.items():
        shown = {key: runs for key, runs in groups.items() if key[1] in arms}
        if shown:
            plot_curves(shown, HOME / f"baselines_{name}.png", title, colors)


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--envs", nargs="+", default=ENVS)
    p.add_argument("--arms", nargs="+", default=ARMS)
    p.add_argument("--steps", type=int, default=STEPS)
    p.add_argument("--workers", type=int, help="runs at a time (default: one per usable core)")


if __name__ == "__main__":
    run_report_cli(__doc__, run, report, _run_args)
