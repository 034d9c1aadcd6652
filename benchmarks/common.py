"""What every benchmark shares: provenance (machine, versions, date, command), the committed
records of its runs, and the report over them.

Each benchmark script writes into its own folder, results/<script>/ (:func:`results_dir`); the
generated index results/README.md (results_index.py) lists them all.

Run directories (checkpoints, replay buffers, videos) stay out of git, under benchmarks/runs/.
What a report needs of a finished run is small, so it is committed: a record set's folder,
results/<script>/runs/<set>/<run>/ (:func:`records_dir`), holds each run's config.json,
summary.json, eval.csv and metrics.jsonl, and reports read those, so a fresh clone can report on
(and add seeds to) every run measured before. Runs measured before records existed survive only
in their report's JSON, frozen in results/<script>/archive/ and rebuilt with
archive.rebuild_runs (exact for groups of up to three seeds).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from archive import rebuild_runs
from results_index import TOP_LEVEL

from smiling.cli import main as smiling_main
from smiling.io import atomic_write, package_versions
from smiling.report import RunCurve, load_run, write_report
from smiling.runspec import run_status

RESULTS = Path(__file__).parent / "results"
RECORD_FILES = ("config.json", "summary.json", "eval.csv", "metrics.jsonl")


def results_dir(benchmark: str) -> Path:
    """The folder of a benchmark script's results: results/<benchmark>/ (``benchmark`` is the
    script's name without .py)."""
    return RESULTS if benchmark in TOP_LEVEL else RESULTS / benchmark


def records_dir(name: str, benchmark: str) -> Path:
    """The folder of record set ``name``: where it is committed already, else
    results/<benchmark>/runs/<name>/ for the script ``benchmark`` that makes it. Most scripts
    have one set of their own name; smiling_learning.py's ``--benchmark NAME`` and cheetah_run.py's
    probes make others."""
    found = find_records(name)
    return found if found is not None else results_dir(benchmark) / "runs" / name


def find_records(name: str) -> Path | None:
    """The committed folder of record set ``name``, in whichever benchmark's folder it is (sets
    are named uniquely), or None where there is none yet."""
    found = sorted({*RESULTS.glob(f"*/runs/{name}"), *RESULTS.glob(f"runs/{name}")})
    return found[0] if found else None


def git_commit() -> str:
    """The repository's commit, with ``-dirty`` where tracked files differ from it: what code
    made a result. "unknown" outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=7"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def machine_info() -> dict:
    """CPU model, core count and platform, read the way benchmarks.md asks (lscpu)."""
    model = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except FileNotFoundError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "platform": platform.platform()}


def provenance() -> dict:
    return {
        "machine": machine_info(),
        "versions": package_versions(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "commit": git_commit(),
    }


def time_call(
    fn: Callable, *args, min_seconds: float = 1.0, min_calls: int = 3, max_calls: int = 200
) -> dict:
    """Milliseconds per call of ``fn(*args)`` (a jitted function), as the speed benchmarks time.

    The first call (compilation and one run) is timed apart and excluded; then ``fn`` is called
    until ``min_seconds`` have passed and at least ``min_calls`` calls were made (at most
    ``max_calls``), each call waited for with ``jax.block_until_ready``. Returns the median and
    the fastest call in ms, the number of timed calls, and the first call's seconds.
    """
    import jax  # the benchmarks that only report do not need it

    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    first = time.perf_counter() - t0
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_calls and (
        len(times) < min_calls or time.perf_counter() - start < min_seconds
    ):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
    return {"ms_median": median, "ms_min": times[0], "calls": n, "first_call_s": first}


def keep_records(run_dirs: Iterable[Path], records: Path) -> list[Path]:
    """Copy each finished run's record (RECORD_FILES) to ``records``/<run name>/ (a
    :func:`records_dir`); returns the records written. Unfinished runs (no summary.json) are
    left alone."""
    kept = []
    for run in run_dirs:
        if not (run / "summary.json").exists():
            continue
        record = records / run.name
        record.mkdir(parents=True, exist_ok=True)
        for name in RECORD_FILES:
            if (run / name).exists():
                data = (run / name).read_bytes()
                atomic_write(record / name, lambda f, data=data: f.write(data))
        kept.append(record)
    return kept


def train_or_resume(out: Path, train: list[str], steps: int, records: Path) -> None:
    """Bring the run ``out`` to ``steps``: skip it if it finished (here, or in its committed
    record in ``records``, so a fresh clone does not repeat it), continue it from its last
    checkpoint if it was interrupted, else ``smiling <train>``; then record it. A failed run
    exits with its code."""
    record = records / out.name
    status = run_status(out, steps)
    if status == "skip" or run_status(record, steps) == "skip":
        print(f"skip {out.name} (finished)")
        return
    resume = status == "resume"
    code = smiling_main(["resume", str(out), "--steps", str(steps)] if resume else train)
    keep_records([out], records)
    if code:
        raise SystemExit(code)


def run_grid(
    benchmark: str,
    env_id: str,
    arms: dict[str, list[str]],
    seeds: Sequence[int],
    steps: int,
    settings: list[str],
    records: Path,
) -> None:
    """Bring every (seed, arm) run of a learning benchmark to ``steps``, seed by seed (seed 0 of
    every arm first, so a partial grid is balanced), in runs/<benchmark>/<arm>-<env>-s<seed>,
    recorded in ``records``: ``arms`` maps each arm's name to its ``smiling train`` method
    options."""
    from smiling.bundled import slug

    for seed in seeds:
        for arm, options in arms.items():
            out = Path(__file__).parent / "runs" / benchmark / f"{arm}-{slug(env_id)}-s{seed}"
            cmd = ["train", *options, "--env", env_id, "--seed", str(seed)]
            cmd += ["--steps", str(steps), *settings, "--out", str(out)]
            train_or_resume(out, cmd, steps, records)


def recorded_runs(benchmark: str, pattern: str = "*", archived: bool = True) -> list[RunCurve]:
    """The committed records of set ``benchmark`` (wherever :func:`find_records` finds them) whose
    run name matches ``pattern``, loaded, plus (``archived``) its archived runs, rebuilt."""
    records = find_records(benchmark)
    found = sorted(records.glob(f"{pattern}/summary.json")) if records is not None else []
    runs = [load_run(p.parent) for p in found]
    archives = sorted(RESULTS.glob(f"*/archive/{benchmark}_*.json")) if archived else []
    for path in archives:
        runs += rebuild_runs(json.loads(path.read_text()), path.relative_to(RESULTS.parents[1]))
    return runs


def report_runs(runs: Sequence[Path | RunCurve], out: Path, stem: str, note: str) -> dict:
    """``smiling report`` on ``runs`` (run directories or loaded curves) into
    ``out``/<stem>.{png,md,csv,json} (``out``: a :func:`results_dir`), with provenance; returns
    the JSON payload."""
    payload = write_report(runs, out, stem=stem, extra={**provenance(), "note": note})
    for row in payload["table"]:
        print(json.dumps({k: v for k, v in row.items() if k != "run_dirs"}))
    return payload


Command = Callable[[argparse.Namespace], None]


def note_arg(p: argparse.ArgumentParser) -> None:
    """A report command's ``--note``: the conditions of its runs, stored with the results."""
    p.add_argument("--note", default="", help="conditions of the runs, stored in the JSON")


def run_report_cli(
    doc: str,
    run: Command,
    report: Command,
    run_args: Callable[[argparse.ArgumentParser], None],
    report_args: Callable[[argparse.ArgumentParser], None] | None = None,
    more: dict[str, tuple[Command, Callable[[argparse.ArgumentParser], None]]] | None = None,
) -> None:
    """The ``run`` / ``report`` command line of the learning benchmarks: ``run_args`` (and
    ``report_args``) add a subcommand's own options; ``report`` always takes ``--note``, the
    conditions stored with the results. ``more`` adds a benchmark's own subcommands (each name's
    function and options), before ``run``."""
    parser = argparse.ArgumentParser(description=doc)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name, (func, add_args) in (more or {}).items():
        p = sub.add_parser(name)
        add_args(p)
        p.set_defaults(func=func)
    p = sub.add_parser("run")
    run_args(p)
    p.set_defaults(func=run)
    p = sub.add_parser("report")
    note_arg(p)
    if report_args is not None:
        report_args(p)
    p.set_defaults(func=report)
    args = parser.parse_args()
    args.func(args)


EXPERT_LABEL = "expert (sac, true reward)"
EXPERT_CURVES = results_dir("expert_curves") / "expert_curves.json"  # expert_curves.py writes it


def expert_curve(env_id: str) -> RunCurve:
    """The bundled expert's evaluation curve while it trained (SAC, true reward, from
    results/expert_curves/expert_curves.json), normalised like every run: by the bundled
    demonstrations' expert and random returns. The reference group of the learning benchmarks'
    reports."""
    import numpy as np

    from smiling.bundled import bundled_demos

    experts = json.loads(EXPERT_CURVES.read_text())["experts"]
    (entry,) = [e for e in experts if e["env_id"] == env_id]
    demos = bundled_demos(env_id)
    returns = np.asarray(entry["returns"], float)
    normalized = (returns - demos.random_return) / (demos.expert_return - demos.random_return)
    return RunCurve(
        path=EXPERT_CURVES,
        label=EXPERT_LABEL,
        env_id=env_id,
        seed=int(entry["seed"]),
        steps=np.asarray(entry["steps"], int),
        normalized=normalized,
        returns=returns,
        steps_per_second=float(entry["env_steps_per_second"]),
    )
