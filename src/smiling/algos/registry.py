"""Every method ``smiling train --method NAME`` knows, by name.

Adding a method ``name``: write ``smiling/algos/<name>_config.py`` with its config dataclass,
its presets and the :class:`~smiling.algos.entry.MethodEntry` that declares it, naming its class
as ``"smiling.algos.<name>:Class"``, and importing no JAX; write ``smiling/algos/<name>.py`` with
the :class:`~smiling.algos.Learner` subclass, bound to the entry
(``class Class(Learner, entry=ENTRY)``), and re-export the config's names there; then add one
line to :data:`METHODS` below (``"name": "smiling.algos.<name>_config:ENTRY"``). The table is
lazy (:mod:`smiling.plugins`): naming the methods imports none of them, and resolving one
imports only its config module, so the command line checks a method's settings before JAX is
imported; a method module may import :class:`~smiling.algos.Learner`, whose persistence looks
saved runs' classes up here, without an import cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smiling.errors import SmilingError
from smiling.plugins import Registry

if TYPE_CHECKING:
    from smiling.algos.entry import MethodEntry

METHODS: Registry[MethodEntry] = Registry(
    {
        "smiling": "smiling.algos.smiling_config:SMILING_ENTRY",
        "dac": "smiling.algos.dac_config:DAC_ENTRY",
        "iq-learn": "smiling.algos.iq_learn_config:IQ_ENTRY",
        "bc": "smiling.algos.bc_config:BC_ENTRY",
        "rl": "smiling.algos.rl_config:RL_ENTRY",
    }
)
# Older names that recorded commands and run directories use: ``sac`` named the true-reward
# method before it could drive other agents (today ``sac`` only ever names the agent).
ALIASES = {"sac": "rl"}


def get_method(name: str, where: str = "") -> MethodEntry:
    """The method ``name`` (or an alias of it), or one clear error listing the known ones."""
    name = ALIASES.get(name, name)
    if name not in METHODS:
        raise SmilingError(f"{where}unknown method '{name}'; known: {', '.join(METHODS)}")
    return METHODS[name]
