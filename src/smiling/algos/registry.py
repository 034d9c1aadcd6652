"""Every method ``smiling train --algo NAME`` knows, by name.

Adding a method: write a module with a :class:`~smiling.algos.base.Learner` subclass and its
:class:`~smiling.algos.entry.MethodEntry`, then add one line to :data:`METHODS` below.
"""

from __future__ import annotations

from smiling.algos.bc import BC_ENTRY
from smiling.algos.dac import DAC_ENTRY
from smiling.algos.entry import MethodEntry
from smiling.algos.iq_learn import IQ_ENTRY
from smiling.algos.rl import RL_ENTRY
from smiling.algos.smiling import SMILING_ENTRY
from smiling.errors import SmilingError

METHODS: dict[str, MethodEntry] = {
    SMILING_ENTRY.name: SMILING_ENTRY,
    DAC_ENTRY.name: DAC_ENTRY,
    IQ_ENTRY.name: IQ_ENTRY,
    BC_ENTRY.name: BC_ENTRY,
    RL_ENTRY.name: RL_ENTRY,
}
# Older names that recorded commands and run directories use.
ALIASES = {"sac": "rl"}


def get_method(name: str, where: str = "") -> MethodEntry:
    """The method ``name`` (or an alias of it), or one clear error listing the known ones."""
    entry = METHODS.get(ALIASES.get(name, name))
    if entry is None:
        raise SmilingError(f"{where}unknown algo '{name}'; known: {', '.join(METHODS)}")
    return entry
