"""Plain SAC on the environment's reward: how experts are trained, and the reference point for
an imitation method's overhead (same loop, same networks, no reward model)."""

from __future__ import annotations

from typing import ClassVar

from smiling.algos.base import Learner, LoopConfig
from smiling.data.demos import Demonstrations
from smiling.rl.sac import SACConfig, get_preset


class TrueRewardSAC(Learner):
    """SAC with the environment's reward. ``demos`` (optional) only normalises returns."""

    algo: ClassVar[str] = "sac"

    def __init__(
        self,
        env_id: str,
        demos: Demonstrations | None = None,
        preset: str = "fast",
        seed: int = 0,
        loop: LoopConfig = LoopConfig(),
        sac_config: SACConfig | None = None,
    ):
        sac_config = sac_config or get_preset(preset)
        super().__init__(env_id, demos, sac_config, seed, loop, {"sac_preset": preset})
        self.preset = preset

    @classmethod
    def _from_config(cls, config, demos, sac, loop) -> TrueRewardSAC:
        preset = config["method"]["sac_preset"]
        return cls(config["env_id"], demos, preset, config["seed"], loop, sac)
