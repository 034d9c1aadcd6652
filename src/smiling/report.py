"""``smiling report``: learning curves and a results table from run directories.

Runs are grouped by (environment, label), the label being the method with its variants and a
non-default agent (``smiling+linear``, ``rl@dreamerv3``; see smiling.variants); seeds are the
replicates. Following the project's reporting convention (design.md), the table gives the final
normalised return of every seed, its mean, and its interquartile mean (IQM) with a 95%
percentile-bootstrap confidence interval, and the same IQM and interval of each seed's mean over
the last fifth of its steps (less swayed by one evaluation); the plot gives the mean curve across
seeds with a 95% bootstrap band of the mean.

Runs of one group need not share an evaluation grid (a different ``--eval-every``, a resumed run
with a longer budget): curves are linearly interpolated onto the union of their evaluation steps,
each only within its own range, and a step's mean is over the runs that reached it. The table
always uses each run's own last evaluation.
A group whose runs have no normalised return (no demonstrations) is reported on raw return.

A report's JSON keeps aggregate curves, not each run's curve. When the run directories are gone,
the benchmarks' archive (benchmarks/archive.py) recovers, for groups of at most three seeds,
every step's values from it exactly, as :class:`RunCurve` s with ``late`` set, so those seeds can
still be pooled with new runs in a later report.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from smiling.algos import legacy
from smiling.config import preset_version
from smiling.errors import SmilingError
from smiling.io import atomic_write, write_json
from smiling.runs import RunDir

CONFIDENCE = 0.95
RESAMPLES = 2000
SOLVED = 0.9  # the normalised return at which a task counts as imitated, for "steps to 0.9"
LATE = 0.2  # the last fifth of a run, whose evaluations the "late" value averages
REPORT_FILES = ("report.png", "report.md", "report.csv", "report.json")  # what `report` writes


def iqm(values: Iterable[float]) -> float:
    """Interquartile mean: the mean of the middle 50% (of all values when there are < 4).

    Robust to one bad seed like a median, yet uses half the data like a mean (Agarwal et al.,
    2021, "Deep RL at the edge of the statistical precipice").
    """
    v = np.sort(np.asarray(list(values), float))
    if len(v) == 0:
        raise ValueError("iqm of no values")
    if len(v) < 4:
        return float(v.mean())
    lo, hi = int(np.floor(0.25 * len(v))), int(np.ceil(0.75 * len(v)))
    return float(v[lo:hi].mean())


def bootstrap_ci(
    values: Iterable[float],
    stat: Callable[[np.ndarray], float] = iqm,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """95% percentile-bootstrap interval of ``stat`` over ``values`` (seeds resampled)."""
    v = np.asarray(list(values), float)
    rng = np.random.default_rng(seed)
    samples = [stat(v[rng.integers(0, len(v), len(v))]) for _ in range(resamples)]
    tail = 100 * (1 - CONFIDENCE) / 2
    return float(np.percentile(samples, tail)), float(np.percentile(samples, 100 - tail))


@dataclasses.dataclass
class RunCurve:
    """One run's learning curve: normalised return (or raw return) against env steps."""

    path: Path
    label: str  # the run's label: its method, variants and agent (smiling.variants.label)
    env_id: str
    seed: int
    steps: np.ndarray
    normalized: np.ndarray
    returns: np.ndarray
    steps_per_second: float
    # The preset and its version (smiling.config.PRESET_VERSIONS): runs of two versions of one
    # preset ran different numbers, so they are not replicates.
    preset: str = ""
    preset_version: int = 1
    # Set on curves rebuilt from a report (benchmarks/archive.py): the seed's own late value, which
    # the rebuilt curve (per-step order statistics of its group) does not determine.
    late: float | None = None

    @property
    def rebuilt(self) -> bool:
        """True for a curve of per-step order statistics, not one seed's evaluations."""
        return self.late is not None

    @property
    def has_normalized(self) -> bool:
        return bool(np.all(np.isfinite(self.normalized)))


def load_run(path: str | Path) -> RunCurve:
    """The curve of the run in ``path`` (its ``config.json`` and ``eval.csv``)."""
    run = RunDir(path)
    config = run.read_config()
    rows = np.asarray(run.read_curve(), float)
    if rows.size == 0:
        raise SmilingError(f"'{run.path}' has no evaluations yet (eval.csv is missing or empty)")
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    return RunCurve(
        path=run.path,
        label=legacy.run_label(config),  # runs written before labels: their method
        env_id=str(config.get("env_id")),
        seed=int(config.get("seed", 0)),
        steps=rows[:, 0].astype(int),
        normalized=rows[:, 3],
        returns=rows[:, 1],
        steps_per_second=float(rows[-1, 5]),
        preset=str(config.get("preset", "")),
        preset_version=preset_version(config),
    )


def group_runs(runs: Iterable[RunCurve]) -> dict[tuple[str, str], list[RunCurve]]:
    """Runs by (env_id, label), each group sorted by seed, groups in sorted order.

    Two runs of one group with the same seed are an error: they are not replicates, and
    counting both would narrow the interval for nothing.
    """
    groups: dict[tuple[str, str], list[RunCurve]] = defaultdict(list)
    for r in runs:
        group = groups[(r.env_id, r.label)]
        twin = next((o for o in group if o.seed == r.seed), None)
        if twin is not None:
            raise SmilingError(
                f"two runs of {r.label} on {r.env_id} with seed {r.seed}: '{twin.path}' and "
                f"'{r.path}'; report them separately"
            )
        other = next((o for o in group if o.preset_version != r.preset_version), None)
        if other is not None and other.preset == r.preset:
            raise SmilingError(
                f"runs of {r.label} on {r.env_id} used two versions of the '{r.preset}' preset: "
                f"'{other.path}' (version {other.preset_version}) and '{r.path}' (version "
                f"{r.preset_version}); report them separately"
            )
        group.append(r)
    return {k: sorted(v, key=lambda r: r.seed) for k, v in sorted(groups.items())}


def _values(runs: list[RunCurve]) -> tuple[list[np.ndarray], str]:
    if all(r.has_normalized for r in runs):
        return [r.normalized for r in runs], "normalized_return"
    return [r.returns for r in runs], "return"


def aggregate(runs: list[RunCurve]) -> dict[str, Any]:
    """Mean curve across seeds with its 95% bootstrap band, and the IQM curve, on one grid.

    The grid is the union of the runs' evaluation steps; each run is interpolated linearly
    inside its own range and never extrapolated, so at a step only the runs that reached it
    count (``n``).
    """
    values, metric = _values(runs)
    grid = np.unique(np.concatenate([r.steps for r in runs]))
    y = np.stack(
        [
            np.interp(grid, r.steps, v, left=np.nan, right=np.nan)
            for r, v in zip(runs, values, strict=True)
        ]
    )  # (runs, grid), NaN outside a run's range
    rng = np.random.default_rng(0)
    tail = 100 * (1 - CONFIDENCE) / 2
    mean, low, high, mid, count = [], [], [], [], []
    for column in y.T:
        covered = column[np.isfinite(column)]
        means = covered[rng.integers(0, len(covered), (RESAMPLES, len(covered)))].mean(axis=1)
        mean.append(float(covered.mean()))
        low.append(float(np.percentile(means, tail)))
        high.append(float(np.percentile(means, 100 - tail)))
        mid.append(iqm(covered))
        count.append(len(covered))
    return {
        "metric": metric,
        "env_steps": grid.tolist(),
        "n": count,
        "mean": mean,
        "ci_low": low,
        "ci_high": high,
        "iqm": mid,
    }


def late_value(steps: np.ndarray, values: np.ndarray) -> float:
    """Mean of a run's evaluations in the last ``LATE`` of its steps.

    The final evaluation alone is decided by where the last dip of an unstable learner falls
    (or by one lucky episode); averaging the end of the run is less sensitive to that, and
    does not depend on how often the run was evaluated.
    """
    return float(values[steps >= (1 - LATE) * steps[-1]].mean())


def summarize(runs: list[RunCurve]) -> dict[str, Any]:
    """One row of the results table: each seed's final and late value, their means, IQMs
    and CIs, and when the IQM curve reaches ``SOLVED`` and keeps it."""
    values, metric = _values(runs)
    final = np.asarray([v[-1] for v in values])
    late = np.asarray(
        [r.late if r.rebuilt else late_value(r.steps, v) for r, v in zip(runs, values, strict=True)]
    )
    curve = aggregate(runs)
    first = kept = None
    if metric == "normalized_return":
        steps, level = np.asarray(curve["env_steps"]), np.asarray(curve["iqm"])
        hits = np.flatnonzero(level >= SOLVED)
        first = int(steps[hits[0]]) if hits.size else None
        misses = np.flatnonzero(level < SOLVED)  # kept: from the step after the last miss
        if not misses.size:
            kept = int(steps[0])
        elif misses[-1] + 1 < len(steps):
            kept = int(steps[misses[-1] + 1])
    lo, hi = bootstrap_ci(final)
    late_lo, late_hi = bootstrap_ci(late)
    return {
        "env_id": runs[0].env_id,
        "label": runs[0].label,
        "metric": metric,
        "seeds": [r.seed for r in runs],
        "final_env_steps": [int(r.steps[-1]) for r in runs],
        "final_per_seed": [round(float(v), 4) for v in final],
        "final_mean": round(float(final.mean()), 4),
        "final_iqm": round(iqm(final), 4),
        "final_iqm_ci95": [round(lo, 4), round(hi, 4)],
        "late_per_seed": [round(float(v), 4) for v in late],
        "late_iqm": round(iqm(late), 4),
        "late_iqm_ci95": [round(late_lo, 4), round(late_hi, 4)],
        f"first_env_steps_iqm_at_least_{SOLVED}": first,
        f"env_steps_iqm_stays_at_least_{SOLVED}": kept,
        "env_steps_per_second_per_seed": [r.steps_per_second for r in runs],
        "run_dirs": [str(r.path) for r in runs],
    }


def _short_count(x: float) -> str:
    """Tick label of a step count: 150000 -> 150k, 2500 -> 2.5k, 1500000 -> 1.5M."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:g}{suffix}"
    return f"{x:g}"


def plot_curves(
    groups: dict[tuple[str, str], list[RunCurve]],
    path: str | Path,
    title: str = "",
    colors: dict[str, str] | None = None,
) -> None:
    """One panel per environment, one colour per label: thin per-seed curves, the mean across
    seeds, and its 95% bootstrap band (rebuilt curves, which are not one seed's, get no thin
    line). ``title`` goes before the figure's caption; ``colors`` (label -> matplotlib colour)
    keeps an arm's colour across several figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    envs = sorted({env for env, _ in groups})
    labels = sorted({label for _, label in groups})
    fig, axes = plt.subplots(1, len(envs), figsize=(5 * len(envs), 3.6), squeeze=False)
    for ax, env in zip(axes[0], envs, strict=True):
        metric = "return"
        for (g_env, label), runs in groups.items():
            if g_env != env:
                continue
            color = (colors or {}).get(label, f"C{labels.index(label)}")
            values, metric = _values(runs)
            for r, v in zip(runs, values, strict=True):
                if not r.rebuilt:
                    ax.plot(r.steps, v, color=color, alpha=0.25, lw=0.8)
            c = aggregate(runs)
            legend = f"{label} ({len(runs)} seed{'s' if len(runs) > 1 else ''})"
            marker = "o" if len(c["env_steps"]) < 3 else None
            ax.plot(c["env_steps"], c["mean"], color=color, lw=2, marker=marker, label=legend)
            ax.fill_between(c["env_steps"], c["ci_low"], c["ci_high"], color=color, alpha=0.2)
        if metric == "normalized_return":
            ax.axhline(1.0, color="gray", ls="--", lw=1)
            ax.axhline(0.0, color="gray", ls=":", lw=1)
        ax.set_title(env)
        offline = sorted({a for g_env, a in groups if g_env == env and _gradient_steps(a)})
        unit = f" ({', '.join(offline)}: gradient steps)" if offline else ""
        ax.set_xlabel("environment steps" + unit)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _short_count(x)))
        ax.set_ylabel("normalised return" if metric == "normalized_return" else "return")
        ax.legend(loc="best", fontsize="x-small")
    caption = "mean over seeds, 95% bootstrap CI"
    fig.suptitle(f"{title}: {caption}" if title else caption, fontsize="small")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    atomic_write(path, lambda f: f.write(buffer.getvalue()))


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The results table in Markdown: one line per (environment, label).

    Besides the final values, the first evaluation step at which the IQM curve reaches
    ``SOLVED`` and the step from which it stays there to the end: arms that all end near the
    expert often differ only in how soon they get there, and unstable ones in whether they stay.
    The last column is the IQM (and CI) of each seed's mean over the last ``LATE`` of its steps.
    """
    lines = [
        "| env | label | seeds | env steps | final per seed | mean | IQM | IQM 95% CI "
        f"| IQM first >= {SOLVED} | IQM >= {SOLVED} from | IQM of last {LATE:.0%} [CI] |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        steps = sorted(set(r["final_env_steps"]))
        shown = str(steps[0]) if len(steps) == 1 else f"{steps[0]}-{steps[-1]}"
        per_seed = ", ".join(f"{v:.2f}" for v in r["final_per_seed"])
        metric = "" if r["metric"] == "normalized_return" else " (return)"
        lo, hi = r["final_iqm_ci95"]
        first = r[f"first_env_steps_iqm_at_least_{SOLVED}"]
        kept = r[f"env_steps_iqm_stays_at_least_{SOLVED}"]
        if r["metric"] != "normalized_return":
            reached = held = "n/a"
        else:
            reached = "not reached" if first is None else str(first)
            held = "not kept" if kept is None else str(kept)
        late_lo, late_hi = r["late_iqm_ci95"]
        lines.append(
            f"| {r['env_id']} | {r['label']}{metric} | {len(r['seeds'])} | {shown} | {per_seed} "
            f"| {r['final_mean']:.2f} | {r['final_iqm']:.2f} | [{lo:.2f}, {hi:.2f}] | {reached} "
            f"| {held} | {r['late_iqm']:.2f} [{late_lo:.2f}, {late_hi:.2f}] |"
        )
    return "\n".join(lines) + "\n"


def write_report(
    runs: Iterable[str | Path | RunCurve],
    out: str | Path,
    stem: str = "report",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``<stem>.png`` (curves), ``<stem>.md`` (table), ``<stem>.csv`` (final value of
    every run) and ``<stem>.json`` (table, curves and ``extra``) into ``out``; returns the JSON.

    ``runs`` are run directories or curves already loaded (:func:`load_run`,
    benchmarks/archive.py). Every file is read before anything is written, so a bad run
    directory changes nothing.
    """
    loaded = [r if isinstance(r, RunCurve) else load_run(r) for r in runs]
    if not loaded:
        raise SmilingError("no run directories to report on")
    groups = group_runs(loaded)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = [summarize(runs) for runs in groups.values()]
    curves = [{"env_id": e, "label": a, **aggregate(runs)} for (e, a), runs in groups.items()]
    plot_curves(groups, out / f"{stem}.png")
    markdown = markdown_table(table)
    atomic_write(out / f"{stem}.md", lambda f: f.write(markdown), mode="w")

    def write_csv(f) -> None:
        w = csv.writer(f)
        w.writerow(["env_id", "label", "seed", "env_steps", "metric", "final", "late", "run_dir"])
        for row in table:
            for i, seed in enumerate(row["seeds"]):
                w.writerow(
                    [row["env_id"], row["label"], seed, row["final_env_steps"][i], row["metric"]]
                    + [row["final_per_seed"][i], row["late_per_seed"][i], row["run_dirs"][i]]
                )

    atomic_write(out / f"{stem}.csv", write_csv, mode="w")
    payload = {**(extra or {}), "table": table, "curves": curves}
    write_json(out / f"{stem}.json", payload)
    return payload


def _gradient_steps(label: str) -> bool:
    """Whether the runs of ``label`` count gradient steps (their method's step unit), not
    environment steps; labels of no registered method (a reference curve) count env steps."""
    from smiling.algos.registry import get_method
    from smiling.variants import parse_full_spec

    try:
        return get_method(parse_full_spec(label)[0]).step_unit == "gradient"
    except SmilingError:
        return False
