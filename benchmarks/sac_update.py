"""Milliseconds per SAC update (critic + actor + temperature + target, one jit) per preset.

Usage: python benchmarks/sac_update.py [--repeats 5]
Writes benchmarks/results/sac_update/sac_update.json. Reference (a JAX SAC update measured on the
project's 2-core CPU when the project was planned, before this code): 6.7 ms (256x2, batch 256) and
284 ms (1024x2, batch 1024).
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import numpy as np
from common import provenance, results_dir

from smiling.rl.sac import PRESETS, SAC

OBS_DIM, ACT_DIM = 17, 6  # dmc:cheetah-run


def time_updates(preset: str, repeats: int) -> dict:
    config = PRESETS[preset]
    sac = SAC(OBS_DIM, ACT_DIM, config)
    state = sac.init(jax.random.PRNGKey(0))
    rng = np.random.default_rng(0)
    b = config.batch_size
    batch = {
        "obs": rng.normal(size=(b, OBS_DIM)).astype(np.float32),
        "actions": rng.uniform(-1, 1, (b, ACT_DIM)).astype(np.float32),
        "rewards": rng.normal(size=b).astype(np.float32),
        "next_obs": rng.normal(size=(b, OBS_DIM)).astype(np.float32),
        "terminated": np.zeros(b, np.float32),
    }
    key = jax.random.PRNGKey(1)
    state, _ = sac.update(state, batch, key)  # compile
    jax.block_until_ready(state)
    n = 200 if preset == "fast" else 10
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            state, _ = sac.update(state, batch, key)
        jax.block_until_ready(state)
        times.append((time.perf_counter() - t0) / n * 1000)
    return {
        "preset": preset,
        "hidden": list(config.hidden),
        "batch_size": b,
        "ms_per_update_median": round(float(np.median(times)), 3),
        "ms_per_update_min": round(float(np.min(times)), 3),
        "updates_per_repeat": n,
        "repeats": repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--note", default="", help="conditions, e.g. background load")
    args = parser.parse_args()
    results = [time_updates(p, args.repeats) for p in ("fast", "paper")]
    for r in results:
        print(f"{r['preset']:6s} {r['ms_per_update_median']:8.2f} ms/update")
    out = results_dir("sac_update") / "sac_update.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**provenance(), "note": args.note, "results": results}, indent=2))
    print(f"-> {out}")


if __name__ == "__main__":
    main()
