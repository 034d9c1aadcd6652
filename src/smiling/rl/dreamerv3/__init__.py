"""DreamerV3 (Hafner et al., arXiv 2301.04104), the paper's second RL agent: a world model
learned from replayed sequences, an actor and critic learned in its imagination."""

from smiling.rl.dreamerv3.agent import DREAMERV3_ENTRY, DreamerV3, DreamerV3Config, DreamerV3State

__all__ = ["DREAMERV3_ENTRY", "DreamerV3", "DreamerV3Config", "DreamerV3State"]
