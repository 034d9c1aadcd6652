"""An agent's registry entry: its name, class, config type and presets.

A registered entry lives in a JAX-free module with the agent's config and presets
(``smiling/rl/<agent>_config.py``) and names its class as ``"module:Class"``
(:class:`~smiling.plugins.LazyClass`): the command line checks an agent's settings (``--preset``,
``--set sac.batch_size=64``) without importing JAX, and ``entry.cls`` imports the agent's module
on first use. Agents do not look their entry up (the loop is handed it), so nothing binds.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from smiling.config import pick_preset
from smiling.plugins import LazyClass

if TYPE_CHECKING:
    from smiling.rl.agent import Agent


@dataclasses.dataclass(frozen=True)
class AgentEntry:
    """One registered agent: its class, config type and named presets (``fast``, ``paper``).
    ``cls`` is the class or its ``"module:Class"`` name, imported on first use."""

    name: str
    cls: type = LazyClass()  # type: ignore[assignment]  # a class, or "module:Class"
    config_type: type
    presets: dict[str, Any]
    summary: str  # one line for ``--help`` and the docs
    title: str = ""  # how messages name it (default: its name)

    def preset(self, name: str) -> Any:
        return pick_preset(self.presets, name, f"{self.title or self.name} preset")

    def build(self, obs_dim: int, act_dim: int, config: Any) -> Agent:
        return self.cls(obs_dim, act_dim, config)
