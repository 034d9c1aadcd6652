"""Roll out an expert to make a demonstrations file."""

from __future__ import annotations

import jax
import numpy as np

from smiling.data.demos import Demonstrations
from smiling.envs import make_env
from smiling.evaluation import random_policy, record_episodes, run_episodes
from smiling.experts.policy import ExpertPolicy
from smiling.io import package_versions


def collect_demos(
    expert: ExpertPolicy, episodes: int, seed: int = 0, deterministic: bool = False
) -> Demonstrations:
    """Record ``episodes`` expert episodes and the random policy's mean return.

    Actions are sampled from the stochastic policy by default, as the paper's demonstrations are.
    The random return is measured over the same number of episodes with uniform actions. Each
    episode starts from the expert's initial recurrent state (:mod:`smiling.policy`).
    """
    if episodes < 1:
        raise ValueError("episodes must be at least 1")
    env = make_env(expert.env_id, seed=seed)
    policy = expert.policy(jax.random.PRNGKey(seed), deterministic=deterministic)
    recorded = record_episodes(env, policy, episodes, seed)
    random_env = make_env(expert.env_id, seed=seed + 1_000_000)
    random_return = float(
        np.mean(run_episodes(random_env, random_policy(random_env), episodes, seed + 1_000_000))
    )
    return Demonstrations(
        env_id=expert.env_id,
        observations=recorded.observations,
        actions=recorded.actions,
        rewards=recorded.rewards,
        episode_lengths=recorded.lengths,
        terminated=recorded.terminated,
        expert_return=float(np.sum(recorded.rewards) / episodes),
        random_return=random_return,
        seed=seed,
        deterministic=deterministic,
        versions=package_versions(),
    )
