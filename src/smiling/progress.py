"""Live progress of a training run: a tqdm bar on a terminal, plain log lines everywhere else.

A bar is useless in a log file (a batch job, a sweep worker, ``nohup``), and a silent log between
two evaluations an hour apart looks like a hang. So when stderr is not a terminal, a line with the
step, rate, ETA and latest evaluation is printed every ``fraction`` of the run or every
``seconds``, whichever comes first, and after every evaluation; never two for the same step.

What the numbers mean, because a wrong ETA misleads more than none:

- The rate is measured over the last ``window`` seconds, not since the start: a run slows down
  when its agent starts updating, and an average since the start would keep the fast early steps
  in it for hours.
- A run has phases that go at very different speeds: a method's preparation (SMILING's expert
  score-model pre-training, shown by a :class:`Progress` of its own), the agent's random warm-up
  (no updates: thousands of steps per second) and training. Each phase announces itself with a
  line, and the rate and ETA only ever extrapolate the training phase: during the warm-up the ETA
  is unknown (``ETA ?``) until training has shown its speed.
"""

from __future__ import annotations

import collections
import sys
import time
import weakref
from collections.abc import Callable

from tqdm import tqdm

# Bars not yet closed. An interrupted loop never reaches its ``close()``; the CLI closes them
# before its last message so the message starts on a line of its own.
_OPEN: weakref.WeakSet[Progress] = weakref.WeakSet()

WINDOW = 60.0  # seconds of recent progress the rate and ETA are measured over
SAMPLE_EVERY = 1.0  # seconds between two samples of the window (and two redraws of the rate)


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
    """Progress of ``total`` steps, starting at ``initial`` (a resumed run).

    ``bar=None`` chooses a bar when stderr is a terminal. ``warmup``: steps below it are the
    agent's random warm-up, whose speed says nothing about training's (see the module
    docstring). ``unit`` names a step in the lines (``step``; a pre-training counts
    ``update``). ``phase``: the name of what is counted, announced when the progress starts
    (``None``: announce the warm-up and training phases of a run).

    Lines at the fractions are printed by :meth:`tick`, which the training loop calls once its
    callbacks (evaluation) have run, so a step with an evaluation gets one line that shows it.
    """

    def __init__(
        self,
        label: str,
        total: int,
        initial: int = 0,
        bar: bool | None = None,
        fraction: float = 0.1,
        seconds: float = 60.0,
        warmup: int = 0,
        unit: str = "step",
        phase: str | None = None,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.label, self.total, self.initial = label, total, initial
        self._clock = clock
        self.bar_shown = sys.stderr.isatty() if bar is None else bar
        self.step_every = max(1, int(total * fraction))
        self.seconds, self.window, self.warmup, self.unit = seconds, window, warmup, unit
        self.eval_text = ""
        self._last_line = self._clock()
        self._next_step = (initial // self.step_every + 1) * self.step_every
        self._step = initial
        self._due = False  # a line is owed (a fraction was reached, or an evaluation came)
        self._printed_at: int | None = None  # the step of the last line, and its evaluation
        self._printed = ""
        self._samples: collections.deque[tuple[float, int]] = collections.deque()
        self._phase = ""
        self._bar = tqdm(
            total=total,
            initial=initial,
            disable=not self.bar_shown,
            file=sys.stderr,
            dynamic_ncols=True,
            desc=label,
            unit=unit,
            # tqdm's own rate and ETA average over a few redraws across phases; ours go in the
            # postfix instead (the "n/total" field stays where scripts and tests look for it).
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]",
        )
        _OPEN.add(self)
        self._standalone = phase is not None
        if phase is not None:
            self._enter(phase, f"{phase}: {total} {unit}s")
        else:
            self._enter_run_phase()

    # ------------------------------------------------------------ phases
    def _run_phase(self) -> str:
        return "random warm-up" if self._step < self.warmup else "training"

    def _enter_run_phase(self) -> None:
        phase = self._run_phase()
        if phase == "random warm-up":
            what = (
                f"random warm-up: steps {self._step} to {self.warmup} (random actions, no updates)"
            )
        else:
            what = f"training: steps {self._step} to {self.total}"
        self._enter(phase, what)

    def _enter(self, phase: str, what: str) -> None:
        """Begin a phase: its speed is measured afresh, and a log gets a line saying so."""
        self._phase = phase
        self._samples.clear()
        self._samples.append((self._clock(), self._step))
        if not self.bar_shown:
            print(f"[{self.label}] {what}", file=sys.stderr, flush=True)
        self._bar.set_postfix_str(self._status(), refresh=False)

    # ------------------------------------------------------------ numbers
    def rate(self) -> float | None:
        """Steps per second over the last ``window`` seconds of this phase (``None``: not
        measured yet)."""
        if len(self._samples) < 2:
            return None
        (t0, s0), (t1, s1) = self._samples[0], self._samples[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else None

    def eta(self) -> float | None:
        """Seconds to ``total`` at the recent rate; ``None`` while it cannot be known (no rate
        yet, or the random warm-up, whose speed is not training's)."""
        rate = self.rate()
        if rate is None or rate <= 0 or self._phase == "random warm-up":
            return None
        return (self.total - self._step) / rate

    def _status(self) -> str:
        """Rate, ETA and the latest evaluation, as the line and the bar show them."""
        rate, eta = self.rate(), self.eta()
        parts = []
        if self._phase == "random warm-up":
            parts.append(f"random warm-up until step {self.warmup}")
        parts.append("? steps/s" if rate is None else f"{rate:.1f} {self.unit}s/s")
        if eta is not None:
            parts.append(f"ETA {format_duration(eta)}")
        elif self._phase == "random warm-up":
            parts.append("ETA ? (measured once training starts)")
        else:
            parts.append("ETA ?")
        if self.eval_text:
            parts.append(f"last {self.eval_text}")
        return ", ".join(parts)

    # ------------------------------------------------------------ events
    def update(self, step: int) -> None:
        """Called after every step with the new total."""
        self._bar.update(step - self._step)
        self._step = step
        if self._phase != self._run_phase() and self._phase in ("random warm-up", "training"):
            self._enter_run_phase()
        now = self._clock()
        if now - self._samples[-1][0] >= SAMPLE_EVERY:
            self._samples.append((now, step))
            while len(self._samples) > 2 and now - self._samples[1][0] >= self.window:
                self._samples.popleft()
            self._bar.set_postfix_str(self._status(), refresh=False)
        if step >= self._next_step:
            self._next_step = (step // self.step_every + 1) * self.step_every
            self._due = True
            if self._standalone:  # no evaluation to wait for: the line goes out now
                self.line()
        if not self.bar_shown and now - self._last_line >= self.seconds:
            self.line()

    def next_line_step(self) -> int:
        """The next step at which a line falls due (the loop pauses there to :meth:`tick`)."""
        return self._next_step

    def evaluated(self, text: str) -> None:
        """Show the latest evaluation (on the bar, or in the line :meth:`tick` prints)."""
        self.eval_text = text
        self._bar.set_postfix_str(self._status())
        self._due = True

    def tick(self) -> None:
        """Print the line that has fallen due, if any (one per step at most)."""
        if self._due:
            self.line()

    def line(self) -> None:
        self._due = False
        self._last_line = self._clock()
        if self.bar_shown:
            return
        share = 100 * self._step / self.total
        where = f"[{self.label}] {self.unit} {self._step}/{self.total} ({share:.0f}%)"
        text = f"{where}, {self._status()}"
        if (self._printed_at, self._printed) == (self._step, self.eval_text):
            return  # this step's line, with this evaluation, is already there
        print(text, file=sys.stderr, flush=True)
        self._printed_at, self._printed = self._step, self.eval_text

    def close(self) -> None:
        if self._due:
            self.line()
        self._due = False
        self._bar.close()
        _OPEN.discard(self)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
