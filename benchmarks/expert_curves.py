"""Expert learning curves on the true reward, and the bundled demonstrations' returns.

Usage: python benchmarks/expert_curves.py [EXPERT_DIR ...]   (default: the bundled experts)
The experts themselves are trained with `smiling expert` (commands in
benchmarks/README.md); this script reads their eval.csv curves and the bundled
demonstrations and writes benchmarks/results/expert_curves/expert_curves.{png,json} and
expert_table.md.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from common import provenance, results_dir  # noqa: E402

from smiling.algos.legacy import upgrade_config  # noqa: E402
from smiling.bundled import EXPERT_TARGETS, assets_dir, bundled_demos  # noqa: E402
from smiling.errors import DemonstrationsError  # noqa: E402

RESULTS = results_dir("expert_curves")  # where its results go (common.results_dir)


def read_expert(directory: Path) -> dict:
    config = upgrade_config(json.loads((directory / "config.json").read_text()), directory)
    with open(directory / "eval.csv") as f:
        rows = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
    env_id = config["env_id"]
    entry = {
        "env_id": env_id,
        "preset": config["preset"],
        "seed": config["seed"],
        "steps": [int(r["env_steps"]) for r in rows],
        "returns": [r["return_mean"] for r in rows],
        "env_steps_per_second": rows[-1]["env_steps_per_second"] if rows else None,
        "best_eval_return": max(r["return_mean"] for r in rows),
        "target": EXPERT_TARGETS.get(env_id),
    }
    try:
        demos = bundled_demos(env_id)
        entry["demos_expert_return"] = demos.expert_return
        entry["demos_random_return"] = demos.random_return
    except DemonstrationsError:
        entry["demos_expert_return"] = entry["demos_random_return"] = None
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dirs", nargs="*", type=Path)
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    dirs = args.dirs or sorted(p for p in (assets_dir() / "experts").iterdir() if p.is_dir())
    experts = [read_expert(d) for d in dirs]

    fig, axes = plt.subplots(1, len(experts), figsize=(4 * len(experts), 3.2), squeeze=False)
    for ax, e in zip(axes[0], experts, strict=True):
        ax.plot(e["steps"], e["returns"], marker=".")
        if e["target"] is not None:
            ax.axhline(e["target"], color="gray", ls="--", lw=1, label="target")
        ax.set_title(e["env_id"])
        ax.set_xlabel("env steps")
        ax.set_ylabel("eval return (deterministic)")
        ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(RESULTS / "expert_curves.png", dpi=100)

    (RESULTS / "expert_curves.json").write_text(
        json.dumps({**provenance(), "note": args.note, "experts": experts}, indent=2)
    )
    lines = [
        "| env | preset | env steps | best eval return | demos expert return (10 ep.) "
        "| random return | target | met | env-steps/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in experts:
        demo = e["demos_expert_return"]
        met = demo is not None and e["target"] is not None and demo >= e["target"]
        fmt = lambda v: "n/a" if v is None else f"{v:.1f}"  # noqa: E731
        lines.append(
            f"| {e['env_id']} | {e['preset']} | {e['steps'][-1]} | {e['best_eval_return']:.1f} "
            f"| {fmt(demo)} | {fmt(e['demos_random_return'])} | {fmt(e['target'])} "
            f"| {'yes' if met else 'no'} | {fmt(e['env_steps_per_second'])} |"
        )
    table = "\n".join(lines)
    print(table)
    (RESULTS / "expert_table.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
