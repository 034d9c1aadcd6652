"""End-to-end environment steps per second: plain SAC vs SMILING with the same networks.

Usage: python benchmarks/throughput.py [--env dmc:cheetah-run] [--preset fast] [--steps 2000]
Both learners first fill their seed steps (not timed), then run ``--steps`` learning steps
(SAC update every step; SMILING also relabels every batch and updates its learner score model).
The ratio SMILING / SAC step time is the imitation overhead (target <= 1.3 at the fast preset).

Demonstrations: the bundled ones when they exist for the env; otherwise 10 episodes of a random
policy (the reward's cost depends on the state dimension, not on the data's quality).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import provenance

from smiling.algos import SMILING, LoopConfig, TrueReward
from smiling.algos.smiling import SMILING_PRESETS
from smiling.bundled import bundled_demos
from smiling.data.demos import Demonstrations
from smiling.envs import make_env
from smiling.errors import DemonstrationsError
from smiling.evaluation import random_policy, record_episodes
from smiling.rl.sac import SAC_ENTRY


def random_demos(env_id: str, episodes: int = 10) -> Demonstrations:
    env = make_env(env_id, seed=0)
    recorded = record_episodes(env, random_policy(env), episodes, seed=0)
    return Demonstrations(
        env_id=env_id,
        observations=recorded.observations,
        actions=recorded.actions,
        rewards=recorded.rewards,
        episode_lengths=recorded.lengths,
        expert_return=1.0,
        random_return=0.0,
    )


def steps_per_second(learner, seed_steps: int, steps: int) -> float:
    # learn() evaluates at its last step; evaluation is not part of a training step's cost.
    learner.evaluate = lambda episodes, *_, **__: [0.0]
    learner.learn(seed_steps, progress=False)
    t0 = time.perf_counter()
    learner.learn(seed_steps + steps, progress=False)
    return steps / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default="dmc:cheetah-run")
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seed-steps", type=int, default=1100)
    parser.add_argument("--set", action="append", default=[], help="SMILING overrides")
    parser.add_argument("--note", default="")
    parser.add_argument(
        "--out", type=Path, help="result file (default results/throughput_<preset>.json)"
    )
    args = parser.parse_args()
    try:
        demos, source = bundled_demos(args.env).state_only(), "bundled"
    except DemonstrationsError:
        demos, source = random_demos(args.env).state_only(), "random-policy (cost only)"
    from smiling.config import apply_overrides, pick_preset

    config = apply_overrides(pick_preset(SMILING_PRESETS, args.preset), args.set)
    sac_config = SAC_ENTRY.preset(args.preset).replace(seed_steps=args.seed_steps)
    loop = LoopConfig(eval_every=10**9, eval_episodes=1, checkpoint_every=10**9)
    sac = TrueReward(args.env, None, args.preset, loop=loop, agent_config=sac_config)
    sps_sac = steps_per_second(sac, args.seed_steps, args.steps)
    sm = SMILING(args.env, demos, args.preset, config=config, loop=loop, agent_config=sac_config)
    sps_smiling = steps_per_second(sm, args.seed_steps, args.steps)
    result = {
        "env_id": args.env,
        "preset": args.preset,
        "reward": config.to_dict()["reward"],
        "demos": source,
        "timed_steps": args.steps,
        "sac_env_steps_per_second": round(sps_sac, 3),
        "smiling_env_steps_per_second": round(sps_smiling, 3),
        "step_time_ratio_smiling_over_sac": round(sps_sac / sps_smiling, 3),
    }
    print(json.dumps(result, indent=2))
    out = args.out or Path(__file__).parent / "results" / f"throughput_{args.preset}.json"
    out.write_text(json.dumps({**provenance(), "note": args.note, "result": result}, indent=2))


if __name__ == "__main__":
    main()
