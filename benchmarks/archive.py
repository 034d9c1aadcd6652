"""Runs that survive only in a report's JSON: the benchmarks' archive.

Runs made before the benchmarks committed run records (up to commit 66a5ec9) lost their
directories with the machine they ran on; their reports' JSONs are frozen in
results/<benchmark>/archive/. :func:`rebuild_runs` turns such a JSON back into curves that
``smiling report`` (smiling.report) pools with new runs. It serves the benchmarks' history, not a
user of the library, so it lives here and not in the package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from smiling.algos.legacy import report_label
from smiling.errors import SmilingError
from smiling.report import RunCurve, aggregate


def rebuild_runs(payload: dict[str, Any], source: str | Path) -> list[RunCurve]:
    """The runs behind a report's JSON (``payload``, read from ``source``), from it alone.

    Why this is possible: for at most three seeds, a step's 2.5% and 97.5% bootstrap percentiles
    of the mean are its smallest and largest value (a resample of one seed only has probability
    1/27 or more, above 2.5%), and the mean gives the third. So each group comes back as one
    curve per seed, the k-th holding the k-th smallest value at every step: every per-step
    statistic (mean, band, IQM, reached/kept 0.9) is exactly the original's, but a rebuilt curve
    is not one seed's curve. It gets the seed whose final value is the k-th smallest, that
    seed's late value (as the table rounded it) and speed, and ``<source>#<its run name>`` as
    its path. Each group is checked by aggregating the rebuilt curves again, which must give the
    report's numbers; a group that does not (more than three seeds, a changed file) is an error
    naming it, as is a payload that is not a report's.
    """
    source = Path(source)
    try:
        rows = {(r["env_id"], report_label(r)): r for r in payload["table"]}
        return [run for c in payload["curves"] for run in _rebuild_group(c, rows, source)]
    except (KeyError, TypeError, IndexError) as err:
        raise SmilingError(f"{source}: not a report's JSON ({type(err).__name__}: {err})") from None


def _rebuild_group(
    c: dict[str, Any], rows: dict[tuple[str, str], dict[str, Any]], source: Path
) -> list[RunCurve]:
    """One group of :func:`rebuild_runs`: its curve ``c`` and table rows ``rows``."""
    label = report_label(c)
    where = f"{source}: {label} on {c['env_id']}"
    n = set(c["n"])
    if (c["env_id"], label) not in rows or len(n) != 1 or not 1 <= min(n) <= 3:
        raise SmilingError(f"{where}: cannot rebuild (needs 1-3 seeds at every step)")
    lo, hi, mean = (np.asarray(c[k], float) for k in ("ci_low", "ci_high", "mean"))
    per_rank = {1: [mean], 2: [lo, hi], 3: [lo, 3 * mean - lo - hi, hi]}[min(n)]
    row = rows[(c["env_id"], label)]
    by_final = np.argsort(row["final_per_seed"], kind="stable")
    steps = np.asarray(c["env_steps"], int)
    normalized = c["metric"] == "normalized_return"
    nan = np.full(len(steps), np.nan)
    group = [
        RunCurve(
            path=Path(f"{source}#{Path(row['run_dirs'][i]).name}"),  # the lost run's name
            label=label,
            env_id=c["env_id"],
            seed=int(row["seeds"][i]),
            steps=steps,
            normalized=values if normalized else nan,
            returns=nan if normalized else values,
            steps_per_second=float(row["env_steps_per_second_per_seed"][i]),
            late=float(row["late_per_seed"][i]),
        )
        for values, i in zip(per_rank, by_final, strict=True)
    ]
    again = aggregate(group)
    if not all(np.allclose(again[k], c[k], atol=1e-9) for k in ("mean", "ci_low", "ci_high")):
        raise SmilingError(f"{where}: the rebuilt curves do not give the report's numbers")
    return group
