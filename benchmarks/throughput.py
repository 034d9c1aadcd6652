"""End-to-end environment steps per second of each method, with the same agent and networks.

Usage: python benchmarks/throughput.py [--envs dmc:cheetah-run ...] [--methods rl smiling dac]
           [--agent sac|dreamerv3] [--preset fast] [--steps 2000] [--out FILE]
Each method first fills its agent's warm-up and 100 more steps (not timed: the first act and
update compile there), then runs ``--repeats`` rounds of ``--steps`` learning steps, the methods
taking turns within a round (the median round is the result) (SAC: an update every step; SMILING
also relabels every batch and updates its learner score model; DAC relabels with its
discriminator and updates it every ``update_every`` steps). The ratio of a method's step time to
the plain RL learner's (``rl``) is its imitation overhead (SMILING's target <= 1.3 with SAC at
the fast preset). With several ``--envs`` (e.g. the state sizes 3, 5, 8, 17, 67 of Pendulum,
cartpole, ball_in_cup, cheetah, humanoid) it is the end-to-end half of the cost-scaling study
(issue 20; the component half is cost_scaling.py). ``--agent dreamerv3`` measures DreamerV3
the same way, beside SAC's numbers from a run with ``--agent sac`` (issue 17).

Demonstrations: the bundled ones when they exist for the env; otherwise 10 episodes of a random
policy (the reward's cost depends on the state dimension, not on the data's quality).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from common import provenance, results_dir

from smiling.algos import LoopConfig, get_method
from smiling.bundled import bundled_demos
from smiling.config import apply_overrides, pick_preset
from smiling.data.demos import Demonstrations
from smiling.envs import make_env
from smiling.errors import DemonstrationsError
from smiling.evaluation import random_policy, record_episodes
from smiling.rl.registry import get_agent

UNTIMED = 100  # steps after the agent's warm-up before timing starts (first act/update compile)


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


def timed_rounds(learners: dict, untimed: int, steps: int, repeats: int) -> dict[str, list]:
    """Env steps/s of each learner over ``repeats`` rounds of ``steps`` steps, the learners
    taking turns within a round, so that a slow spell of the machine (another process on the
    other core) falls on every method rather than on one. Timing starts ``untimed`` steps after
    each agent's warm-up, so that the first act and train step (which compile) are not timed."""
    for learner in learners.values():
        # learn() evaluates at its last step; evaluation is not part of a step's cost.
        learner.evaluate = lambda episodes, *_, **__: [0.0]
        learner.learn(learner.agent.warmup_steps + untimed, progress=False)
    rates: dict[str, list] = {name: [] for name in learners}
    for _ in range(repeats):
        for name, learner in learners.items():
            t0 = time.perf_counter()
            learner.learn(learner.env_steps + steps, progress=False)
            rates[name].append(round(steps / (time.perf_counter() - t0), 3))
    return rates


def measure(
    env_id: str,
    methods: list[str],
    preset: str,
    agent: str,
    steps: int,
    repeats: int,
    seed_steps: int,
    overrides: list[str],
) -> dict:
    """Env steps/s of each method on ``env_id`` with the same agent and settings (the median
    of ``repeats`` interleaved rounds, and every round's), so their ratios are the methods'
    overheads over the plain RL learner."""
    try:
        demos, source = bundled_demos(env_id).state_only(), "bundled"
    except DemonstrationsError:
        demos, source = random_demos(env_id).state_only(), "random-policy (cost only)"
    agent_config = get_agent(agent).preset(preset)
    if agent == "sac":
        agent_config = agent_config.replace(seed_steps=seed_steps)
    loop = LoopConfig(eval_every=10**9, eval_episodes=1, checkpoint_every=10**9)
    learners, reward = {}, None
    for name in methods:
        entry = get_method(name)
        config = apply_overrides(pick_preset(entry.presets, preset), overrides)
        learners[name] = entry.cls(
            env_id, demos, preset, config=config, loop=loop, agent=agent, agent_config=agent_config
        )
        if name == "smiling":
            reward = config.to_dict()["reward"]
    rounds = timed_rounds(learners, UNTIMED, steps, repeats)
    rates = {name: float(np.median(r)) for name, r in rounds.items()}
    env = make_env(env_id, seed=0)
    result = {
        "env_id": env_id,
        "obs_dim": int(env.observation_space.shape[0]),
        "preset": preset,
        "agent": agent,
        "demos": source,
        "timed_steps": steps,
        "repeats": repeats,
        "env_steps_per_second": rates,
        "env_steps_per_second_rounds": rounds,
        "reward": reward,  # SMILING's estimator settings, when it is measured
    }
    if "rl" in rates:
        result["step_time_ratio_over_rl"] = {
            k: round(rates["rl"] / v, 3) for k, v in rates.items() if k != "rl"
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--envs", nargs="+", default=["dmc:cheetah-run"])
    parser.add_argument(
        "--methods", nargs="+", default=["rl", "smiling"], help="from smiling.algos.METHODS"
    )
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--steps", type=int, default=2000, help="timed steps per round")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds per method")
    parser.add_argument("--agent", default="sac", help="from smiling.rl.registry.AGENTS")
    parser.add_argument("--seed-steps", type=int, default=1100, help="SAC's random steps")
    parser.add_argument("--set", action="append", default=[], help="overrides, every method")
    parser.add_argument("--note", default="")
    parser.add_argument(
        "--out", type=Path, help="result file (default results/throughput/throughput_<preset>.json)"
    )
    args = parser.parse_args()
    results = []
    for env_id in args.envs:
        results.append(
            measure(
                env_id,
                args.methods,
                args.preset,
                args.agent,
                args.steps,
                args.repeats,
                args.seed_steps,
                args.set,
            )
        )
        print(json.dumps(results[-1], indent=2), flush=True)
    out = args.out or results_dir("throughput") / f"throughput_{args.preset}.json"
    payload = {**provenance(), "note": args.note}
    payload["result" if len(results) == 1 else "results"] = (
        results[0] if len(results) == 1 else results
    )
    out.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
