"""Load a trained expert (``actor.msgpack`` + ``config.json``) as a policy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flax.serialization
import jax
import numpy as np

from smiling.errors import ExpertError
from smiling.rl.sac import SAC, SACConfig


@dataclass
class ExpertPolicy:
    """A SAC actor with the environment it was trained in."""

    env_id: str
    sac: SAC
    actor_params: Any

    def act(self, obs: np.ndarray, key: jax.Array, deterministic: bool = False) -> np.ndarray:
        return self.sac.act(self.actor_params, obs, key, deterministic=deterministic)


def load_expert(directory: str | Path) -> ExpertPolicy:
    """Read an expert directory written by ``smiling expert``; clear errors when incomplete."""
    directory = Path(directory)
    config_path, actor_path = directory / "config.json", directory / "actor.msgpack"
    for path in (config_path, actor_path):
        if not path.is_file():
            raise ExpertError(f"expert directory '{directory}' has no {path.name}")
    try:
        config = json.loads(config_path.read_text())
        sac_cfg = dict(config["sac"])
        sac_cfg["hidden"] = tuple(sac_cfg["hidden"])
        sac = SAC(int(config["obs_dim"]), int(config["act_dim"]), SACConfig(**sac_cfg))
        template = sac.actor.init(jax.random.PRNGKey(0), np.zeros((1, sac.obs_dim), np.float32))
        params = flax.serialization.from_bytes(template, actor_path.read_bytes())
        env_id = str(config["env_id"])
    except (ValueError, KeyError, TypeError) as err:
        raise ExpertError(f"expert directory '{directory}' is malformed: {err}") from None
    return ExpertPolicy(env_id=env_id, sac=sac, actor_params=params)
