"""Ctrl-C that stops a training run at a safe point, and an exit that Ctrl-C cannot crash.

Why this exists. Python's default SIGINT handling raises ``KeyboardInterrupt`` at the next
bytecode, and JAX checks for pending signals while it waits for XLA: a Ctrl-C pressed while a
jitted function compiles raises in the main thread *while the compilation goes on in XLA's
thread pool*. The interpreter then exits, its garbage collector destroys JAX's client (and the
thread pool's devices) under the running compile, and the compile thread dereferences a freed
device: "Segmentation fault", exit 139 (seen with a core dump: the main thread in
``Py_FinalizeEx`` -> ``~PjRtClient`` joining XLA's threads, the crashing thread in
``PjRtCompiler::CompileAndLoad`` -> ``SingleDeviceSharding::Create``). A Ctrl-C during the
interpreter's own exit raises inside JAX's ``atexit`` hook instead and prints its traceback, and
one that lands in a garbage-collector callback (JAX registers one) is printed as "Exception
ignored" and lost: training goes on.

So, while a training command runs (:func:`deferred`), Ctrl-C only records the press; the loop asks
:func:`requested` between environment steps, goes on to the end of the episode under way, writes
a checkpoint there (where a resume is exact: stopping earlier would keep nothing, or a state no
resume reproduces) and stops with :class:`Interrupted`, which knows the run directory and step.
Long computations before the first step (a score-model fit) call :func:`check` between their
chunks, where no XLA work is half done, and stop there. A second Ctrl-C stops at once (the
escape hatch when an episode takes long); :func:`message` then says which older checkpoint, if
any, a resume falls back on. The console
command (:func:`smiling.cli.entry`) installs the same handler for its whole life, ignores Ctrl-C
once its work is done, and ends an interrupted command with ``os._exit`` so that no interpreter
teardown runs under work XLA may still be doing.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_presses = 0  # Ctrl-C presses since the handler was installed, not yet acted on by check()
_depth = 0  # nesting of deferred() scopes, in which a first press is only recorded
_stopping = False  # stopping or done: the handler ignores further presses


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, raised at a safe point of a training loop.

    A ``KeyboardInterrupt``, so code that handles Ctrl-C keeps working; ``run_dir`` and ``step``
    say which run stopped where (``run_dir`` is ``None`` when nothing was written yet).
    """

    def __init__(self, run_dir: Path | None = None, step: int | None = None):
        super().__init__()
        self.run_dir, self.step = run_dir, step


def _on_sigint(signum: int, frame: Any) -> None:
    """Record a press; raise only outside :func:`deferred`, or on a second press inside it.

    The press stays recorded after a raise: a ``KeyboardInterrupt`` raised inside a garbage
    collector callback (JAX has one) is printed and swallowed by Python, and the next
    :func:`check` must still stop.
    """
    global _presses
    if _stopping:
        return
    _presses += 1
    if _depth == 0 or _presses > 1:
        raise KeyboardInterrupt


def install() -> None:
    """Make this module's handler the process's SIGINT handler (the console command does this).

    Outside :func:`deferred` a press raises at once, as with Python's default handler.
    """
    global _presses, _stopping
    _presses, _stopping = 0, False
    signal.signal(signal.SIGINT, _on_sigint)
    if hasattr(signal, "pthread_sigmask"):  # a parent that blocked it (a Ray worker does)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _quiet_unraisable_interrupts()


def stopping() -> None:
    """The command is stopping: this module's handler ignores Ctrl-C from now on.

    So a second press cannot break the one-line message or the exit. (Only the handler
    :func:`install` or :func:`deferred` put in place is affected.)
    """
    global _stopping
    _stopping = True


def finish() -> None:
    """The command is done (or stopping): ignore Ctrl-C from here to the end of the process.

    Keeps a late press from raising inside JAX's ``atexit`` hooks during interpreter exit.
    """
    stopping()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def requested() -> bool:
    """Whether Ctrl-C was pressed and a :func:`check` in the current scope should stop."""
    return _depth > 0 and _presses > 0


def check() -> None:
    """Raise :class:`Interrupted` if Ctrl-C was pressed; call it where no XLA work is pending."""
    if requested():
        stopping()
        raise Interrupted()


@contextlib.contextmanager
def deferred(
    run_dir: str | Path | None = None, step: Callable[[], int] | None = None
) -> Iterator[None]:
    """Within the block, Ctrl-C is recorded and acted on at the next :func:`check`.

    The CLI holds one for a whole training command and :meth:`Learner.learn` its own; a press
    recorded before a scope starts stops it as it starts. ``run_dir`` and ``step()`` label an
    :class:`Interrupted` leaving the block, and a plain ``KeyboardInterrupt`` (a second press) is
    turned into one, so the caller can say how to continue. Handlers other than Python's default
    and this module's (a notebook's, the user's own) and threads other than the main one are
    left alone.
    """
    global _depth, _presses, _stopping
    current = signal.getsignal(signal.SIGINT)
    ours = current is _on_sigint
    if threading.current_thread() is not threading.main_thread() or not (
        ours or current is signal.default_int_handler
    ):
        yield
        return
    if not ours:  # a library call: this scope's handler sees only the presses made in it
        signal.signal(signal.SIGINT, _on_sigint)
        _presses, _stopping = 0, False
    _quiet_unraisable_interrupts()
    _depth += 1
    try:
        check()  # pressed while the caller was starting up: stop before writing anything
        yield
    except KeyboardInterrupt as stop:
        stopping()
        _settle()
        written = run_dir is not None and (Path(run_dir) / "config.json").exists()
        label = Path(run_dir) if written else None
        if not isinstance(stop, Interrupted):
            raise Interrupted(label, step() if step and label else None) from None
        if stop.run_dir is None and label is not None:
            stop.run_dir, stop.step = label, step() if step else None
        raise
    finally:
        _depth -= 1
        if _depth == 0:
            # The work is over (done, failed or stopped): a press from here on would only turn a
            # finished run into a spurious "interrupted", so this module's handler ignores it.
            stopping()
        if not ours:
            signal.signal(signal.SIGINT, current)


def _quiet_unraisable_interrupts() -> None:
    """Keep a press raised inside a callback Python cannot propagate from (a weakref or
    garbage-collector callback: importlib and JAX have them) from printing "Exception ignored"
    and its traceback. The press stays recorded, so the next :func:`check` still stops; only the
    noise goes. Every other unraisable exception reaches the hook that was there before."""
    if getattr(sys.unraisablehook, "_smiling_quiet", False):
        return
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            return
        previous(unraisable)

    hook._smiling_quiet = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def _settle() -> None:
    """Wait for device work already dispatched, so nothing runs under a later teardown."""
    import sys

    jax = sys.modules.get("jax")
    if jax is None:
        return
    for array in jax.live_arrays():
        with contextlib.suppress(Exception):  # deleted or donated meanwhile: nothing to wait for
            array.block_until_ready()


def message(stop: KeyboardInterrupt, continue_with: Callable[[Path], str]) -> str:
    """The one line that ends an interrupted command: where it stopped, exactly what was kept,
    and how to go on.

    ``continue_with(run_dir)`` is the command that resumes (``smiling resume RUN_DIR``). What was
    kept is read from the run directory itself, so the line cannot claim more than is there.
    """
    summary = getattr(stop, "summary", None)  # a sweep's: the state of each of its runs
    if summary is not None:
        return summary
    run_dir = getattr(stop, "run_dir", None)
    if run_dir is None:
        return "smiling: interrupted (no run directory was written)"
    return f"smiling: interrupted{kept(run_dir, getattr(stop, 'step', None))}; " + (
        f"continue with: {continue_with(run_dir)}"
    )


def kept(run_dir: str | Path, step: int | None) -> str:
    """`` at step S; <what the run directory keeps to resume from>``, for a run stopped at
    ``step`` (``None``: unknown)."""
    from smiling.runs import RunDir

    saved = RunDir(run_dir).checkpoint_step()
    where = "" if step is None else f" at step {step}"
    if saved is None:
        return (
            f"{where}; nothing to resume from was kept in {run_dir} (no checkpoint yet): "
            "resuming starts it again from step 0"
        )
    if step is None or saved >= step:
        return f"{where}; {run_dir} keeps a checkpoint at step {saved}, resume continues from it"
    return (
        f"{where}; {run_dir} keeps its checkpoint at step {saved} (the {step - saved} steps "
        "after it are lost), resume continues from it"
    )
