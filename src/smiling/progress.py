"""Live progress of a training run: a tqdm bar on a terminal, plain log lines everywhere else.

A bar is useless in a log file (a batch job, a sweep worker, ``nohup``), and a silent log between
two evaluations an hour apart looks like a hang. So when stderr is not a terminal, a line with the
step, rate, ETA and latest evaluation is printed every ``fraction`` of the run or every
``seconds``, whichever comes first, and after every evaluation.
"""

from __future__ import annotations

import sys
import time
import weakref

from tqdm import tqdm

# Bars not yet closed. An interrupted loop never reaches its ``close()``; the CLI closes them
# before its last message so the message starts on a line of its own.
_OPEN: weakref.WeakSet[Progress] = weakref.WeakSet()


def close_progress_bars() -> None:
    """Close every open :class:`Progress` (its bar's line is finished with a newline)."""
    for progress in list(_OPEN):
        progress.close()


def format_duration(seconds: float) -> str:
    """``1h02m``, ``3m05s`` or ``42s``: short enough for a log line."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class Progress:
    """Progress of ``total`` environment steps, starting at ``initial`` (a resumed run).

    ``bar=None`` chooses a bar when stderr is a terminal. Rates and ETAs count only the steps of
    this process, so a resumed run's ETA is not distorted by the steps done before it.
    """

    def __init__(
        self,
        label: str,
        total: int,
        initial: int = 0,
        bar: bool | None = None,
        fraction: float = 0.1,
        seconds: float = 60.0,
    ):
        self.label, self.total, self.initial = label, total, initial
        self.bar_shown = sys.stderr.isatty() if bar is None else bar
        self.step_every = max(1, int(total * fraction))
        self.seconds = seconds
        self.eval_text = ""
        self._start = self._last_line = time.monotonic()
        self._next_step = (initial // self.step_every + 1) * self.step_every
        self._step = initial
        self._bar = tqdm(
            total=total,
            initial=initial,
            disable=not self.bar_shown,
            file=sys.stderr,
            dynamic_ncols=True,
            desc=label,
            unit="step",
        )
        _OPEN.add(self)

    def rate(self) -> float:
        """Environment steps per second in this process."""
        return (self._step - self.initial) / max(time.monotonic() - self._start, 1e-9)

    def update(self, step: int) -> None:
        """Called after every environment step with the new total."""
        self._bar.update(step - self._step)
        self._step = step
        if self.bar_shown:
            return
        if step >= self._next_step or time.monotonic() - self._last_line >= self.seconds:
            self._next_step = (step // self.step_every + 1) * self.step_every
            self.line()

    def evaluated(self, text: str) -> None:
        """Show the latest evaluation (on the bar, or as a line of its own)."""
        self.eval_text = text
        self._bar.set_postfix_str(text)
        if not self.bar_shown:
            self.line()

    def line(self) -> None:
        rate = self.rate()
        eta = (self.total - self._step) / rate if rate > 0 else float("nan")
        parts = [
            f"[{self.label}] step {self._step}/{self.total} ({100 * self._step / self.total:.0f}%)",
            f"{rate:.1f} steps/s",
            f"ETA {format_duration(eta)}" if eta == eta else "ETA ?",
        ]
        if self.eval_text:
            parts.append(f"last {self.eval_text}")
        print(", ".join(parts), file=sys.stderr, flush=True)
        self._last_line = time.monotonic()

    def close(self) -> None:
        self._bar.close()
        _OPEN.discard(self)
