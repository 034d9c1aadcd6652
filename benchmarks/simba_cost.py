"""What a SimBa update costs here, beside sbx-rl's SAC with its Simba policy (issue 37, item 2).

Usage:
  python benchmarks/simba_cost.py [--widths 128 256 512] [--blocks 1 2] [--rounds 3] \
      [--sbx-python /work/scratch/sbx/venv/bin/python] [--note TEXT]

For every critic width and block count (actor: width 128, one block, as SimBa's), on
dmc:humanoid-walk's sizes (67 observations, 21 actions) and batch 256, it times one full update
(critic, actor, temperature, target; one jitted call) of ``smiling``'s ``simba`` agent, with one
and two updates per decision counted as one and two updates. sbx-rl (the JAX port of
Stable-Baselines3) lives in a scratch virtual environment outside the repository
(``--sbx-python``; ``scripts``-free: its timing script is /work/scratch/sbx/sbx_update_cost.py,
or ``--sbx-script``); each round times every size of both implementations in turn, so load on
the machine falls on both alike, and the table gives the median over rounds and ``ours / sbx``.
The plain ``fast`` SAC (256x2) is the reference row. Run it pinned and single-threaded:

  XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
      taskset -c 1 python benchmarks/simba_cost.py

Writes benchmarks/results/simba_cost.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
from common import provenance, results_dir, time_call

from smiling.io import atomic_write
from smiling.rl.sac import PRESETS as SAC_PRESETS
from smiling.rl.sac import SAC
from smiling.rl.simba import PRESETS, Simba

HOME = results_dir("simba_cost")  # where its results go (common.results_dir)

OBS_DIM, ACT_DIM, BATCH = 67, 21, 256  # dmc:humanoid-walk
SBX_SCRIPT = Path("/work/scratch/sbx/sbx_update_cost.py")
SBX_PYTHON = Path("/work/scratch/sbx/venv/bin/python")


def random_batch(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "obs": rng.normal(size=(BATCH, OBS_DIM)).astype(np.float32),
        "actions": rng.uniform(-1, 1, (BATCH, ACT_DIM)).astype(np.float32),
        "rewards": rng.normal(size=BATCH).astype(np.float32),
        "next_obs": rng.normal(size=(BATCH, OBS_DIM)).astype(np.float32),
        "terminated": np.zeros(BATCH, np.float32),
    }


def time_ours(width: int, blocks: int, critics: int, min_seconds: float) -> dict:
    """Milliseconds per SimBa update (``width``/``blocks`` = 0 times plain ``fast`` SAC)."""
    if width:
        config = PRESETS["fast"].replace(
            critic_width=width, critic_blocks=blocks, critics=critics, updates_per_step=1
        )
        agent = Simba(OBS_DIM, ACT_DIM, config)
    else:
        agent = SAC(OBS_DIM, ACT_DIM, SAC_PRESETS["fast"])
    state = agent.init(jax.random.PRNGKey(0))
    batch = random_batch(np.random.default_rng(0))
    key = jax.random.PRNGKey(1)

    def step():
        nonlocal state
        state, metrics = agent.update(state, batch, key)
        return metrics

    return time_call(step, min_seconds=min_seconds)


def time_sbx(args: argparse.Namespace, widths: list[int], blocks: list[int]) -> list[dict]:
    """One call of the scratch environment's sbx timing script, all sizes; its JSON lines."""
    cmd = [str(args.sbx_python), str(args.sbx_script), "--widths", ",".join(map(str, widths))]
    cmd += ["--blocks", ",".join(map(str, blocks)), "--batch", str(BATCH)]
    cmd += ["--min-seconds", str(args.min_seconds)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def table(rows: list[dict]) -> str:
    lines = [
        "| critic width | blocks | ours, 2 critics: ms per update | sbx, 2 critics | ours / sbx "
        "| ours vs 256x2 SAC | ours, 1 critic (SimBa's DMC setting) |",
        "|" + " ---: |" * 7,
    ]
    base = next(r["ours_ms"] for r in rows if r["critic_width"] == 0)
    for r in rows:
        if r["critic_width"] == 0:
            name, blocks = "SAC 256x2 (`fast`)", ""
        else:
            name, blocks = str(r["critic_width"]), str(r["critic_blocks"])
        sbx = r.get("sbx_ms")
        cells = [
            name,
            blocks,
            f"{r['ours_ms']:.1f}",
            f"{sbx:.1f}" if sbx else "",
            f"{r['ours_ms'] / sbx:.2f}" if sbx else "",
            f"{r['ours_ms'] / base:.1f}x",
            f"{r['ours1_ms']:.1f}" if "ours1_ms" in r else "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--widths", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--blocks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--min-seconds", type=float, default=2.0)
    parser.add_argument("--sbx-rounds", type=int, default=1, help="sbx compiles slowly (~10-40 s)")
    parser.add_argument("--sbx-python", type=Path, default=SBX_PYTHON)
    parser.add_argument("--sbx-script", type=Path, default=SBX_SCRIPT)
    parser.add_argument("--note", default="", help="conditions, e.g. background load")
    args = parser.parse_args()
    sizes = [(0, 0)] + [(w, b) for w in args.widths for b in args.blocks]
    ours: dict[tuple[int, int], list[float]] = {s: [] for s in sizes}
    single: dict[tuple[int, int], list[float]] = {s: [] for s in sizes[1:]}
    sbx: dict[tuple[int, int], list[float]] = {s: [] for s in sizes}
    with_sbx = args.sbx_python.exists() and args.sbx_script.exists()
    for round_ in range(args.rounds):
        for size in sizes:
            ours[size].append(time_ours(*size, 2, args.min_seconds)["ms_median"])
            if size in single:
                single[size].append(time_ours(*size, 1, args.min_seconds)["ms_median"])
            print(f"round {round_} ours {size}: {ours[size][-1]:.1f} ms", file=sys.stderr)
        if with_sbx and round_ < args.sbx_rounds:
            for row in time_sbx(args, args.widths, args.blocks):
                simba = row["impl"] == "sbx"
                size = (row["critic_width"], row["critic_blocks"]) if simba else (0, 0)
                sbx[size].append(row["ms_median"])
    rows = []
    for size in sizes:
        row = {"critic_width": size[0], "critic_blocks": size[1], "actor_width": 128}
        row |= {
            "actor_blocks": 1,
            "ours_ms": float(np.median(ours[size])),
            "ours_rounds": ours[size],
        }
        if size in single:
            row |= {"ours1_ms": float(np.median(single[size])), "ours1_rounds": single[size]}
        if sbx[size]:
            row |= {"sbx_ms": float(np.median(sbx[size])), "sbx_rounds": sbx[size]}
        rows.append(row)
    text = table(rows)
    print(text)
    payload = {**provenance(), "note": args.note, "obs_dim": OBS_DIM, "act_dim": ACT_DIM}
    payload |= {"batch_size": BATCH, "rounds": args.rounds, "rows": rows}
    atomic_write(
        HOME / "simba_cost.json", lambda f: f.write(json.dumps(payload, indent=2)), mode="w"
    )
    atomic_write(HOME / "simba_cost.md", lambda f: f.write(text), mode="w")


if __name__ == "__main__":
    main()
