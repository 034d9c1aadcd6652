"""What did a run's training episodes look like? Per-episode returns and state statistics from
the replay in a run's checkpoint (no training, no environment).

Usage:
  python benchmarks/replay_episodes.py RUN_DIR [--last N] [--name NAME] [--note TEXT]

A learner whose return plateaus may be stuck in a behaviour its reward half-pays for (on
cartpole-swingup: spinning the pole, which passes upright every turn, instead of balancing
it). The replay holds every row the run saw, so this reads the last ``N`` complete episodes and
writes, per episode, the return received and the mean and mean absolute value of each
observation dimension (named by the environment's observation keys where it has them).
Writes benchmarks/results/replay_episodes/replay_episodes[_NAME].{json,md}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from common import note_arg, provenance, results_dir
from dreamer_diagnosis import restore_dreamer

from smiling.envs import observation_keys

HOME = results_dir("replay_episodes")  # where its results go (common.results_dir)


def episodes(is_first: np.ndarray) -> list[tuple[int, int]]:
    """``(start, end)`` rows of each complete episode (a start row up to the next start)."""
    starts = np.flatnonzero(is_first)
    return [(int(s), int(e)) for s, e in zip(starts[:-1], starts[1:], strict=True)]


def describe(run_dir: Path, last: int) -> dict:
    learner, n = restore_dreamer(run_dir)
    replay = learner.replay
    obs, rewards, is_first = replay.obs[:n], replay.rewards[:n], replay.is_first[:n]
    spans = episodes(is_first)[-last:]
    if not spans:
        raise SystemExit(f"{run_dir}: no complete episode in the replay")
    keys = observation_keys(learner.env)
    rows = []
    for s, e in spans:
        # Row s is the episode's first observation; rewards arrive on the rows after it.
        x = obs[s:e]
        rows.append(
            {
                "start_row": s,
                "rows": e - s,  # the first observation, then one per step
                "return": float(rewards[s + 1 : e].sum()),
                "obs_mean": x.mean(0).round(3).tolist(),
                "obs_mean_abs": np.abs(x).mean(0).round(3).tolist(),
            }
        )
    return {
        "run": run_dir.name,
        "env_id": learner.env_id,
        "env_steps": int(learner.steps_done),
        "observation_keys": list(keys) if keys else None,
        "episodes": rows,
    }


def to_markdown(result: dict, note: str) -> str:
    dims = len(result["episodes"][0]["obs_mean"])
    head = " | ".join(f"x{i} mean / abs" for i in range(dims))
    lines = [
        f"# Training episodes of {result['run']} ({result['env_id']}, at "
        f"{result['env_steps']} steps)\n",
        note + "\n",
        f"Observation keys (concatenated in this order): {result['observation_keys']}\n",
        f"| first row | rows | return | {head} |",
        "|---" * (dims + 3) + "|",
    ]
    for ep in result["episodes"]:
        cells = " | ".join(
            f"{m:.2f} / {a:.2f}" for m, a in zip(ep["obs_mean"], ep["obs_mean_abs"], strict=True)
        )
        lines.append(f"| {ep['start_row']} | {ep['rows']} | {ep['return']:.1f} | {cells} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run", type=Path)
    p.add_argument("--last", type=int, default=5, help="complete episodes to describe")
    p.add_argument("--name", default="")
    note_arg(p)
    args = p.parse_args()
    result = describe(args.run, args.last)
    stem = HOME / ("replay_episodes" + (f"_{args.name}" if args.name else ""))
    stem.with_suffix(".json").write_text(
        json.dumps({**provenance(), "note": args.note, **result}, indent=2) + "\n"
    )
    stem.with_suffix(".md").write_text(to_markdown(result, args.note))
    print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
