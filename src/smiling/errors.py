"""User-facing errors.

Every problem a user can cause (a bad file, an unknown environment, mismatched shapes) is raised as
a :class:`SmilingError` with one sentence naming what is wrong. The CLI prints that sentence and
exits non-zero without a traceback; library users can catch the one base class.
"""

from __future__ import annotations


class SmilingError(Exception):
    """Base class for errors caused by user input, reported without a traceback by the CLI."""


class UnknownEnvError(SmilingError, ValueError):
    """The environment id names no Gymnasium environment and no DeepMind Control task."""


class DemonstrationsError(SmilingError, ValueError):
    """A demonstrations file is missing, malformed, or does not fit the environment in use."""


class ExpertError(SmilingError, ValueError):
    """An expert directory is missing or incomplete."""


class SettingError(SmilingError, ValueError):
    """A setting has a value no run can use. Raised in the library's terms (the setting's
    name); the CLI names the flag that set it (``eval_every`` -> ``--eval-every``)."""

    def __init__(self, setting: str, problem: str):
        super().__init__(f"{setting} {problem}")
        self.setting, self.problem = setting, problem


class CheckpointError(SmilingError):
    """A checkpoint folder is missing a file, fails its checksum, or cannot be parsed."""


def warn(message: str) -> None:
    """One ``smiling: warning: ...`` line on stderr: something was wrong, and work goes on.

    Not :mod:`warnings`: its two-line format with a source location is noise for a CLI user.
    """
    import sys

    print(f"smiling: warning: {message}", file=sys.stderr, flush=True)
