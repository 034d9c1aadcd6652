"""Learning quality: normalised return vs environment steps over seeds, with IQM.

Usage:
  python benchmarks/smiling_learning.py run --env Pendulum-v1 --seeds 0 1 2 --steps 20000 \
      [--algo smiling] [--preset fast] [--eval-every 2500] [--set KEY=VALUE ...]
  python benchmarks/smiling_learning.py report [RUN_DIR ...]

``run`` trains one run directory per seed under benchmarks/runs/ (not committed), skipping seeds
already finished; ``report`` reads the run directories' eval.csv and writes
benchmarks/results/smiling_learning.{csv,json,png}: per (algo, env) the curve of normalised
return (mean over seeds and IQM) and the IQM at the final step with a bootstrap 95% CI.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from common import provenance

from smiling.cli import main as smiling_main
from smiling.runs import RunDir

ROOT = Path(__file__).parent
RUNS = ROOT / "runs"
RESULTS = ROOT / "results"


def iqm(values: np.ndarray) -> float:
    """Interquartile mean: the mean of the middle 50% (all values when there are < 4)."""
    v = np.sort(np.asarray(values, float))
    if len(v) < 4:
        return float(v.mean())
    lo, hi = int(np.floor(0.25 * len(v))), int(np.ceil(0.75 * len(v)))
    return float(v[lo:hi].mean())


def bootstrap_ci(values: np.ndarray, stat=iqm, n: int = 2000, seed: int = 0) -> list[float]:
    rng = np.random.default_rng(seed)
    v = np.asarray(values, float)
    samples = [stat(rng.choice(v, len(v), replace=True)) for _ in range(n)]
    return [float(np.percentile(samples, 2.5)), float(np.percentile(samples, 97.5))]


def run(args: argparse.Namespace) -> None:
    for seed in args.seeds:
        slug = args.env.replace(":", "_")
        out = RUNS / f"{args.algo}-{args.preset}-{slug}-s{seed}"
        if (out / "summary.json").exists():
            print(f"skip {out} (finished)")
            continue
        if out.exists():
            raise SystemExit(f"{out} exists but did not finish; remove it to rerun")
        cmd = ["train", "--algo", args.algo, "--env", args.env, "--preset", args.preset]
        cmd += ["--seed", str(seed), "--steps", str(args.steps), "--out", str(out)]
        cmd += ["--eval-every", str(args.eval_every), "--eval-episodes", str(args.eval_episodes)]
        for pair in args.set:
            cmd += ["--set", pair]
        code = smiling_main(cmd)
        if code:
            raise SystemExit(code)


def report(args: argparse.Namespace) -> None:
    dirs = args.dirs or sorted(p for p in RUNS.iterdir() if (p / "eval.csv").exists())
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for d in dirs:
        rd = RunDir(d)
        config = rd.read_config()
        curve = np.asarray(rd.read_curve(), float)
        preset = config["method"].get("sac_preset", "")
        groups[(config["algo"], config["env_id"])].append(
            {"dir": str(d), "seed": config["seed"], "preset": preset, "curve": curve}
        )
    table, rows = [], []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(groups), figsize=(4.5 * len(groups), 3.3), squeeze=False)
    for ax, ((algo, env_id), runs) in zip(axes[0], sorted(groups.items()), strict=True):
        steps = sorted(set.intersection(*(set(r["curve"][:, 0].astype(int)) for r in runs)))
        norm = np.array(
            [[r["curve"][r["curve"][:, 0] == s][0, 3] for s in steps] for r in runs]
        )  # (seeds, steps)
        for r, y in zip(runs, norm, strict=True):
            ax.plot(steps, y, color="C0", alpha=0.3, lw=1)
            rows += [[algo, env_id, r["seed"], s, v] for s, v in zip(steps, y, strict=True)]
        ax.plot(steps, [iqm(norm[:, i]) for i in range(len(steps))], color="C0", lw=2, label="IQM")
        ax.axhline(1.0, color="gray", ls="--", lw=1)
        ax.axhline(0.9, color="gray", ls=":", lw=1)
        ax.set_title(f"{algo} on {env_id} ({len(runs)} seeds)")
        ax.set_xlabel("env steps")
        ax.set_ylabel("normalised return")
        ax.legend(loc="lower right")
        final = norm[:, -1]
        first_09 = next((int(s) for i, s in enumerate(steps) if iqm(norm[:, i]) >= 0.9), None)
        table.append(
            {
                "algo": algo,
                "env_id": env_id,
                "seeds": [r["seed"] for r in runs],
                "final_env_steps": int(steps[-1]),
                "final_normalized_per_seed": [round(float(v), 3) for v in final],
                "final_iqm": round(iqm(final), 3),
                "final_iqm_ci95": [round(v, 3) for v in bootstrap_ci(final)],
                "first_step_iqm_at_least_0.9": first_09,
                "env_steps_per_second_per_seed": [float(r["curve"][-1, 5]) for r in runs],
            }
        )
    fig.tight_layout()
    fig.savefig(RESULTS / "smiling_learning.png", dpi=100)
    with open(RESULTS / "smiling_learning.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["algo", "env_id", "seed", "env_steps", "normalized_return"])
        w.writerows(rows)
    payload = {**provenance(), "note": args.note, "table": table}
    (RESULTS / "smiling_learning.json").write_text(json.dumps(payload, indent=2))
    for t in table:
        print(json.dumps(t))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run")
    p.add_argument("--env", required=True)
    p.add_argument("--algo", default="smiling")
    p.add_argument("--preset", default="fast")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--eval-every", type=int, default=2500)
    p.add_argument("--eval-episodes", type=int, default=5)
    p.add_argument("--set", action="append", default=[])
    p.set_defaults(func=run)
    p = sub.add_parser("report")
    p.add_argument("dirs", nargs="*", type=Path)
    p.add_argument("--note", default="")
    p.set_defaults(func=report)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
