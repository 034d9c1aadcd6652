"""Cost and noise of the SMILING reward estimator: fast (fused, chunked) vs naive.

Usage: python benchmarks/reward_estimator.py [--quick] [--note TEXT]

Trains an expert score model on the bundled Pendulum-v1 demonstrations (or a 2-D toy when they
are absent) and a learner model, briefly, on a perturbed state distribution (half expert states,
half uniformly random pendulum states), then measures for K in {500, 100, 20, 8, 5} x {plain,
antithetic} x {fixed grid, stratified grid} (antithetic K = 5 is run as K = 6: pairs need an
even K):

* ms per batch of 256 and 1024 states, fast (:func:`fast_reward`) vs naive (:func:`naive_reward`);
* noise/signal: the spread of one state's estimate across repeats (noise, RMS over states of the
  std across repeats) divided by the spread across states of their mean estimates (signal);
* the correlation of a single estimate, and of the mean of the repeats, with a high-precision
  reference: the average over all T timesteps, estimated by K = 500 on the stratified grid
  averaged over repeats;
* and, with ``--tile-sweep``, at K = 100, how the tile size (rows of timesteps x signs x states
  processed together) changes the fast estimator's cost; the default is ``TILE_ROWS``.

Reading noise/signal at small K: the fixed grid's per-state quadrature error is deterministic,
so it counts as "signal"; with 3 grid timesteps (antithetic K = 6) the ratio looks very small
while the estimate is still far from the reference. The correlation with the reference is the
fairer comparison there.

Writes benchmarks/results/reward_estimator/reward_estimator.{json,csv}. Timings are inflated when
other work shares the CPU; the JSON records the load averages and whether background load was
present.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import json
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from common import provenance, results_dir

from smiling.diffusion import (
    RewardConfig,
    ScoreModel,
    ScoreNetConfig,
    fast_reward,
    naive_reward,
    network_predictor,
)
from smiling.diffusion.reward import TILE_ROWS

ROOT = Path(__file__).resolve().parents[1]
DEMOS = ROOT / "src" / "smiling" / "assets" / "demos" / "Pendulum-v1.npz"
RESULTS = results_dir("reward_estimator")  # where its results go (common.results_dir)
NET = ScoreNetConfig()  # the reference architecture: hidden 256, depth 1
KS = (500, 100, 20, 8, 5)
MODES = ((False, False), (True, False), (False, True), (True, True))  # (antithetic, stratified)
BATCHES = (256, 1024)


# ------------------------------------------------------------------------------------- data
def load_data(rng: np.random.Generator) -> tuple[str, np.ndarray, np.ndarray]:
    """Expert states and a perturbed 'learner' state distribution of the same dimension."""
    if DEMOS.exists():
        expert = np.load(DEMOS, allow_pickle=False)["observations"].astype(np.float32)
        theta = rng.uniform(-np.pi, np.pi, len(expert))
        random_states = np.stack(
            [np.cos(theta), np.sin(theta), rng.uniform(-8, 8, len(expert))], axis=1
        ).astype(np.float32)
        source = "Pendulum-v1 demonstrations"
    else:
        expert = (np.array([1.5, 1.5]) + 0.3 * rng.normal(size=(4000, 2))).astype(np.float32)
        random_states = rng.uniform(-3, 3, (4000, 2)).astype(np.float32)
        source = "2-D toy (no demonstrations found)"
    half = len(expert) // 2
    learner = np.concatenate([expert[rng.permutation(len(expert))[:half]], random_states[:half]])
    return source, expert, learner


def train_models(expert: np.ndarray, learner: np.ndarray, steps: int) -> tuple[dict, dict, dict]:
    model = ScoreModel(expert.shape[1], NET)
    t0 = time.perf_counter()
    e_state, e_hist = model.fit(expert, steps, jax.random.PRNGKey(0), batch_size=1024)
    l_state, l_hist = model.fit(learner, steps // 4, jax.random.PRNGKey(1), batch_size=1024)
    info = {
        "expert_steps": steps,
        "learner_steps": steps // 4,
        "batch_size": 1024,
        "expert_final_loss": float(np.mean(e_hist[-20:])),
        "learner_final_loss": float(np.mean(l_hist[-20:])),
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    return e_state.params, l_state.params, info


# ---------------------------------------------------------------------------------- timing
def estimators(config: RewardConfig):
    fast = jax.jit(functools.partial(fast_reward, config=config, net_config=NET))

    @jax.jit
    def naive(expert, learner, states, actions, key, schedule):
        return naive_reward(
            network_predictor(expert, NET),
            network_predictor(learner, NET),
            states,
            actions,
            key,
            schedule=schedule,
            config=config,
        )

    return fast, naive


def time_ms(fn, args: tuple, kwargs: dict, min_seconds: float, max_calls: int = 200) -> float:
    """Median ms per call after one warm-up call, over repeats totalling ~min_seconds."""
    jax.block_until_ready(fn(*args, **kwargs))
    times = []
    start = time.perf_counter()
    while len(times) < max_calls and (time.perf_counter() - start < min_seconds or len(times) < 3):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args, **kwargs))
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


# ----------------------------------------------------------------------------------- noise
def repeats_of(fast, expert, learner, states, schedule, repeats: int) -> np.ndarray:
    """``(repeats, B)`` independent estimates of the same states."""
    keys = jax.random.split(jax.random.PRNGKey(123), repeats)
    return np.stack(
        [np.asarray(fast(expert, learner, states, None, k, schedule=schedule)) for k in keys]
    )


def noise_stats(runs: np.ndarray, reference: np.ndarray) -> dict:
    noise = float(np.sqrt(np.mean(np.var(runs, axis=0, ddof=1))))
    signal = float(np.std(runs.mean(axis=0)))
    corr = float(np.mean([np.corrcoef(r, reference)[0, 1] for r in runs]))
    return {
        "noise": noise,
        "signal": signal,
        "noise_to_signal": noise / signal,
        "corr_single_estimate_vs_reference": corr,
        # What SAC sees after averaging many relabelled batches: a fixed grid's quadrature bias
        # stays, the stratified grid's noise averages out.
        "corr_mean_of_repeats_vs_reference": float(np.corrcoef(runs.mean(axis=0), reference)[0, 1]),
    }


# ------------------------------------------------------------------------------------ main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer steps/repeats (smoke run)")
    parser.add_argument("--note", default="", help="free text stored in the JSON")
    parser.add_argument("--tile-sweep", action="store_true", help="also sweep the tile size")
    args = parser.parse_args()
    load_start = os.getloadavg()
    rng = np.random.default_rng(0)
    source, expert_data, learner_data = load_data(rng)
    expert, learner, train_info = train_models(
        expert_data, learner_data, 200 if args.quick else 800
    )
    model = ScoreModel(expert_data.shape[1], NET)
    schedule = model.schedule
    repeats = 4 if args.quick else 16
    min_seconds = 0.3 if args.quick else 1.5
    # Evaluation states: half expert, half learner, so states differ in their true reward.
    pool = np.concatenate([expert_data, learner_data])
    states = {b: jnp.asarray(pool[rng.permutation(len(pool))[:b]]) for b in BATCHES}

    # The reference is the average over ALL T timesteps (what every estimator targets): K = 500
    # on the stratified grid is unbiased for it; averaging repeats removes its noise.
    ref_config = RewardConfig(num_timesteps=500, stratified=True, normalize=False)
    ref_fast, _ = estimators(ref_config)
    reference = repeats_of(ref_fast, expert, learner, states[256], schedule, 2 * repeats)
    reference = reference.mean(axis=0)

    rows = []
    for k_plain in KS:
        for antithetic, stratified in MODES:
            # Antithetic pairs need an even K: K = 5 becomes 6 (3 timesteps x 2 signs).
            k = k_plain + (k_plain % 2) * antithetic
            config = RewardConfig(
                num_timesteps=k, antithetic=antithetic, stratified=stratified, normalize=False
            )
            fast, naive = estimators(config)
            runs = repeats_of(fast, expert, learner, states[256], schedule, repeats)
            noise = noise_stats(runs, reference)
            for b in BATCHES:
                call = (expert, learner, states[b], None, jax.random.PRNGKey(0))
                fast_ms = time_ms(fast, call, {"schedule": schedule}, min_seconds)
                # The stratified grid costs what the fixed one does: time naive only once.
                naive_ms = (
                    float("nan")
                    if stratified
                    else time_ms(naive, call, {"schedule": schedule}, min_seconds, max_calls=20)
                )
                row = {
                    "K": k,
                    "mode": ("antithetic" if antithetic else "plain")
                    + (", stratified" if stratified else ""),
                    "batch": b,
                    "tile": "auto (TILE_ROWS)",
                    "fast_ms": round(fast_ms, 3),
                    "naive_ms": round(naive_ms, 3),
                    "speedup": round(naive_ms / fast_ms, 2),
                }
                if b == 256:
                    row.update({name: round(v, 4) for name, v in noise.items()})
                rows.append(row)
                print(json.dumps(row), flush=True)

    # Tile sweep: rows per tile (timesteps x signs x states) for the fast estimator at K = 100.
    tile_sweep = []
    for b in BATCHES if args.tile_sweep else ():
        for antithetic in (False, True):
            n_signs = 2 if antithetic else 1
            for tile_rows in (64, 128, 256, 512, 1024, 4096):
                block = min(b, max(1, tile_rows // n_signs))
                chunk = max(1, tile_rows // (n_signs * block))
                config = RewardConfig(
                    num_timesteps=100,
                    antithetic=antithetic,
                    normalize=False,
                    chunk_size=chunk,
                    block_size=block,
                )
                fast, _ = estimators(config)
                call = (expert, learner, states[b], None, jax.random.PRNGKey(0))
                ms = time_ms(fast, call, {"schedule": schedule}, min_seconds / 3)
                tile_sweep.append(
                    {
                        "K": 100,
                        "mode": "antithetic" if antithetic else "plain",
                        "batch": b,
                        "tile_rows": tile_rows,
                        "chunk_size": chunk,
                        "block_size": block,
                        "fast_ms": round(ms, 3),
                    }
                )
                print(json.dumps(tile_sweep[-1]), flush=True)

    result = {
        **provenance(),
        "nproc": os.cpu_count(),
        "jax_version": jax.__version__,
        "background_load": "yes",
        "load_average_1_5_15_start": [round(x, 2) for x in load_start],
        "load_average_1_5_15_end": [round(x, 2) for x in os.getloadavg()],
        "note": args.note
        or "timings inflated: both cores were busy with background training during the run",
        "data": source,
        "state_dim": int(expert_data.shape[1]),
        "score_net": dataclasses.asdict(NET),
        "training": train_info,
        "weighting": "simple",
        "repeats_for_noise": repeats,
        "noise_batch": 256,
        "reference": "mean over 2x repeats of K=500 stratified estimates (all-T average)",
        "results": rows,
        "tile_rows_default": TILE_ROWS,
        "tile_sweep": tile_sweep,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reward_estimator.json").write_text(json.dumps(result, indent=2) + "\n")
    fields = list(dict.fromkeys(key for row in rows for key in row))
    with open(RESULTS / "reward_estimator.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {RESULTS / 'reward_estimator.json'} and .csv")


if __name__ == "__main__":
    main()
