"""How much the evaluation bug of issue 36 moved DreamerV3's recorded means.

Before the fix, evaluation reset DreamerV3's recurrent state once per evaluation, not once per
episode: episodes 2..n began from the state the previous one ended in. The recorded DreamerV3
runs kept no weights, so they cannot be re-evaluated; this measures the size of the error on a
new run instead. DreamerV3 ``fast``, true reward, Pendulum-v1, seed 0, trained to 2.5k, 5k and
10k environment steps (an exact resume between them); at each, the run's 5 evaluation episodes
are played twice on the same weights: as evaluation does now (reset at every episode's start)
and as it did before (one reset, then the state carried on). The fixed evaluation's episodes are
also checked against one-episode evaluations (they must be equal).

Usage:
  python benchmarks/dreamer_eval_reset.py [--out benchmarks/runs/dreamer_eval_reset]

Writes benchmarks/results/dreamer_eval_reset/dreamer_eval_reset.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
from pathlib import Path

import jax
import numpy as np
from common import results_dir

from smiling.algos import LoopConfig
from smiling.algos.loop import EVAL_SEED_OFFSET
from smiling.algos.persistence import Learner
from smiling.algos.registry import METHODS
from smiling.bundled import bundled_demos
from smiling.evaluation import run_episodes
from smiling.policy import AgentPolicy

ENV, SEED, EPISODES = "Pendulum-v1", 0, 5
STOPS = (2500, 5000, 10000)
RESULTS = results_dir("dreamer_eval_reset")


class CarriedAcrossEpisodes(AgentPolicy):
    """The evaluation before the fix: the recurrent state is reset once, at the first episode,
    and carried from each episode into the next."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._started = False

    def reset(self) -> None:
        if not self._started:
            super().reset()
            self._started = True


def measure(learner: Learner) -> dict:
    seed = learner.seed + EVAL_SEED_OFFSET
    fixed = learner.evaluate(EPISODES)
    alone = [learner.evaluate(1, seed=seed + i)[0] for i in range(EPISODES)]
    old_policy = CarriedAcrossEpisodes(learner.agent, learner.state, jax.random.PRNGKey(0))
    old = run_episodes(learner.eval_env, old_policy, EPISODES, seed)
    demos = bundled_demos(ENV)  # its reference returns give the benchmarks' normalised scale
    scale = demos.expert_return - demos.random_return
    return {
        "env_steps": learner.env_steps,
        "fixed": fixed,
        "old": old,
        "fixed_equals_alone": fixed == alone,
        "mean_fixed": float(np.mean(fixed)),
        "mean_old": float(np.mean(old)),
        "mean_difference_normalised": float((np.mean(old) - np.mean(fixed)) / scale),
        "abs_difference_episodes_2_on": [
            abs(a - b) for a, b in zip(fixed[1:], old[1:], strict=True)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "runs" / "dreamer_eval_reset"))
    args = parser.parse_args()
    run = Path(args.out)
    loop = LoopConfig(eval_every=2500, eval_episodes=EPISODES, checkpoint_every=2500)
    rows = []
    for stop in STOPS:
        if (run / "config.json").exists():
            learner, _ = Learner.restore(run, stop)
        else:
            learner = METHODS["rl"].cls(
                ENV, None, preset="fast", seed=SEED, loop=loop, agent="dreamerv3"
            )
        learner.learn(stop, run_dir=run, progress=False)
        rows.append(measure(learner))
        print(json.dumps(rows[-1]))
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    record = {
        "benchmark": "dreamer_eval_reset",
        "env": ENV,
        "agent": "dreamerv3 (fast), true reward",
        "seed": SEED,
        "machine": platform.processor() or platform.machine(),
        "commit": commit.strip(),
        "rows": rows,
    }
    (RESULTS / "dreamer_eval_reset.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "| env steps | mean return, fixed | mean, old | difference (normalised) "
        "| per episode 2-5, abs difference |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        diffs = ", ".join(f"{d:.2f}" for d in r["abs_difference_episodes_2_on"])
        lines.append(
            f"| {r['env_steps']} | {r['mean_fixed']:.2f} | {r['mean_old']:.2f} "
            f"| {r['mean_difference_normalised']:+.4f} | {diffs} |"
        )
    (RESULTS / "dreamer_eval_reset.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
