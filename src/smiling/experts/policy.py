"""Load a trained expert (``actor.msgpack`` + ``config.json``) as a policy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax

from smiling.algos.legacy import upgrade_config
from smiling.errors import ExpertError, SmilingError
from smiling.policy import AgentPolicy
from smiling.rl.agent import Agent
from smiling.rl.registry import get_agent
from smiling.runs import RunDir


@dataclass
class ExpertPolicy:
    """An agent's policy with the environment it was trained in."""

    env_id: str
    agent: Agent
    state: Any  # an agent state whose policy part is the expert's

    def policy(self, key: jax.Array, deterministic: bool = False) -> AgentPolicy:
        """The expert as a :class:`~smiling.policy.Policy`: its recurrent state (if any) is
        carried through an episode and reset at the next one's start by the rollout loop.
        Sampled actions draw from ``key``, split at every step; ``deterministic`` acts with
        the policy's mode. Sampling is the default, as the paper's demonstrations sample."""
        return AgentPolicy(self.agent, self.state, key, deterministic=deterministic)


def load_expert(directory: str | Path) -> ExpertPolicy:
    """Read an expert directory written by ``smiling expert`` (or ``smiling train --method rl
    --keep-best``); clear errors when incomplete."""
    directory = Path(directory)
    config_path, actor_path = directory / "config.json", directory / "actor.msgpack"
    for path in (config_path, actor_path):
        if not path.is_file():
            raise ExpertError(f"expert directory '{directory}' has no {path.name}")
    try:
        config = upgrade_config(RunDir(directory).read_config(), config_path)
        entry = get_agent(config["agent"]["name"])
        agent_config = entry.config_type.from_dict(config["agent"]["config"])
        agent = entry.build(int(config["obs_dim"]), int(config["act_dim"]), agent_config)
        state = agent.load_policy(actor_path.read_bytes())
        env_id = str(config["env_id"])
    except (ValueError, KeyError, TypeError, SmilingError) as err:
        raise ExpertError(f"expert directory '{directory}' is malformed: {err}") from None
    return ExpertPolicy(env_id=env_id, agent=agent, state=state)
