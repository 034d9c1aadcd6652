"""Ctrl-C at any moment of ``smiling train``: one line, exit 130, a run that resumes.

Each case runs a real ``smiling train`` on Pendulum-v1 with stderr on a pseudo-terminal (so the
progress bar is shown, as for a user at a terminal) and sends SIGINT to its process group, as the
terminal's Ctrl-C does, at a moment chosen by what the run has shown or written: while Python
imports JAX, inside the expert score-model pre-training, inside the first learner score-model fit
(step 1001, where a user's Ctrl-C used to end in "Segmentation fault": XLA was compiling it when
the interpreter tore down), after a checkpoint (then ``smiling resume`` must finish the run), and
while the finished command exits. Every wait is bounded by a subprocess deadline. The last tests
check :mod:`smiling.interrupt`'s handler itself, in this process.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from smiling import interrupt

DEADLINE = 300  # seconds a case may take before it is killed (a hang, not a timing assertion)
BAR = "smiling Pendulum-v1"  # the progress bar's label: its lines are not messages
SMALL = ["--set", "sac.hidden=32,32", "--set", "sac.batch_size=32", "--set", "net.hidden=32"]


@dataclass
class Terminal:
    """What a command wrote while it ran: stderr (the terminal) and stdout (a pipe)."""

    proc: subprocess.Popen
    err: list[str]
    out: list[str]

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    @property
    def stdout(self) -> str:
        return "".join(self.out)


def _pump(read: Callable[[], bytes], into: list[str]) -> None:
    while True:
        try:
            data = read()
        except OSError:  # EIO: the terminal's last writer has gone
            return
        if not data:
            return
        into.append(data.decode(errors="replace"))


def in_terminal(args: list[str], when: Callable[[Terminal], bool]) -> tuple[Terminal, bool]:
    """Run ``python -m smiling.cli ARGS`` with stderr on a terminal; Ctrl-C once ``when`` holds.

    Returns the finished command and whether the signal was sent (False: it ended first).
    """
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    env.pop("MUJOCO_GL", None)
    main_fd, term_fd = pty.openpty()
    fcntl.ioctl(term_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "smiling.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=term_fd,
        env=env,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    os.close(term_fd)
    term = Terminal(proc, [], [])
    readers = [
        threading.Thread(target=_pump, args=(lambda: os.read(main_fd, 65536), term.err)),
        threading.Thread(target=_pump, args=(lambda: proc.stdout.read1(65536), term.out)),
    ]
    for reader in readers:
        reader.start()
    sent = False
    try:
        give_up = time.monotonic() + DEADLINE
        while proc.poll() is None and time.monotonic() < give_up:
            if when(term):
                os.killpg(proc.pid, signal.SIGINT)
                sent = True
                break
            time.sleep(0.01)
        proc.wait(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for reader in readers:
            reader.join(timeout=10)
        os.close(main_fd)
    return term, sent


def messages(stderr: str, bar: str = BAR) -> list[str]:
    """The lines of stderr that are not the progress bar (each line's last redraw)."""
    lines = (line.rstrip("\r").split("\r")[-1].strip() for line in stderr.split("\n"))
    return [line for line in lines if line and not line.startswith(bar)]


def bar_step(term: Terminal, bar: str = BAR) -> int:
    """The last step the progress bar has shown (0 before it appears)."""
    redraws = [part.split("|") for part in term.stderr.split("\r") if part.startswith(bar)]
    shown = [r[2].split("/")[0].strip() for r in redraws if len(r) > 2]
    steps = [int(s) for s in shown if s.isdigit()]
    return steps[-1] if steps else 0


def assert_clean_interrupt(term: Terminal, run: Path) -> str:
    """Exit 130, no traceback, one message line; the run, if written, is intact and named."""
    err = term.stderr
    for noise in ("Traceback", "Exception ignored", "Segmentation", "Fatal Python error"):
        assert noise not in err, err
    assert term.proc.returncode == 130, err
    lines = messages(err)
    assert len(lines) == 1 and lines[0].startswith("smiling: interrupted"), lines
    if (run / "config.json").exists():
        config = json.loads((run / "config.json").read_text())
        assert config["env_id"] == "Pendulum-v1"
        assert f"smiling resume {run}" in lines[0]
    else:
        assert "no run directory was written" in lines[0]
    return lines[0]


def train(run: Path, *extra: str) -> list[str]:
    """A training command whose budgets lie past SAC's random warm-up (no warning line)."""
    args = ["train", "--env", "Pendulum-v1", "--out", str(run), "--eval-every", "100000"]
    return [*args, "--set", "sac.seed_steps=100", *extra]


def importing_jax(term: Terminal) -> bool:
    """JAX's native library is mapped: the command is past its own start, importing JAX.

    (A press in an interpreter's first tens of milliseconds, before ``smiling.cli`` runs, is
    Python's to handle; on a loaded machine that window is longer than any fixed delay.)
    """
    try:
        return "jaxlib" in Path(f"/proc/{term.proc.pid}/maps").read_text()
    except OSError:
        return False


def test_ctrl_c_while_starting_up(tmp_path):
    """While Python imports JAX: nothing was written, and the message says so."""
    run = tmp_path / "run"
    term, sent = in_terminal(train(run, "--steps", "3000"), importing_jax)
    assert sent
    assert_clean_interrupt(term, run)
    assert not run.exists()


def test_ctrl_c_inside_expert_score_model_fit(tmp_path):
    """Inside the fast preset's expert pre-training (5000 jitted steps, in chunks)."""
    run = tmp_path / "run"
    started: list[float] = []

    def in_the_fit(term: Terminal) -> bool:
        if not started and (run / "config.json").exists():  # written just before the fit
            started.append(time.monotonic())
        return bool(started) and time.monotonic() > started[0] + 1.0

    term, sent = in_terminal(train(run, "--steps", "3000", *SMALL), in_the_fit)
    assert sent
    line = assert_clean_interrupt(term, run)
    assert "at step 0" in line and "no checkpoint yet" in line
    assert not (run / "expert_score.msgpack").exists()  # the fit did not finish


def test_ctrl_c_inside_first_learner_score_model_fit(tmp_path):
    """At step ~1000, where the learner's score model is fitted (compiled) the first time."""
    run = tmp_path / "run"
    args = train(run, "--steps", "3000", "--set", "expert_pretrain_steps=100", *SMALL)
    term, sent = in_terminal(args, lambda t: bar_step(t) >= 900)
    assert sent
    line = assert_clean_interrupt(term, run)
    step = int(line.split("at step ")[1].split(";")[0])
    assert 900 <= step < 3000


def test_ctrl_c_after_a_checkpoint_then_resume(tmp_path):
    """Pressed mid-episode (just after the checkpoint at 500): the episode finishes, the run is
    checkpointed at its end (600) and stops, saying so; ``smiling resume`` finishes the run from
    there, and Ctrl-C as it exits is quiet."""
    run = tmp_path / "run"
    args = train(run, "--steps", "1200", "--checkpoint-every", "500", "--eval-episodes", "1")
    args += ["--set", "expert_pretrain_steps=100", "--set", "learner_update_every=400", *SMALL]
    args += ["--set", "sac.seed_steps=1000"]  # SAC updates only after 1000: a cheap run
    checkpointed = run / "checkpoint" / "progress.json"
    term, sent = in_terminal(args, lambda t: checkpointed.exists())
    assert sent
    line = assert_clean_interrupt(term, run)
    saved = json.loads(checkpointed.read_text())["step"]
    assert saved > 500 and saved % 200 == 0  # the end of the episode under way (200 steps)
    assert f"at step {saved}; {run} keeps a checkpoint at step {saved}" in line
    assert not (run / "summary.json").exists()

    term, _ = in_terminal(["resume", str(run)], lambda t: "run directory:" in t.stdout)
    assert term.proc.returncode == 0, term.stderr
    assert f"from step {saved} of 1200" in term.stdout
    assert "Traceback" not in term.stderr and "Exception ignored" not in term.stderr
    assert json.loads((run / "summary.json").read_text())["env_steps"] == 1200


def test_ctrl_c_in_smiling_expert_keeps_the_episode_and_says_how_to_go_on(tmp_path):
    """``smiling expert`` (``train --algo rl --keep-best`` with an expert's defaults) stops the
    same way, and names its own command to continue."""
    run = tmp_path / "expert"
    # a budget well past the (fast, random) warm-up: on an idle machine the 1000 warm-up steps
    # take under a second, and the press must land before the run can finish
    args = ["expert", "--env", "Pendulum-v1", "--steps", "6000", "--out", str(run)]
    args += ["--eval-every", "100000", "--eval-episodes", "1", *SMALL[:4]]
    args += ["--set", "sac.seed_steps=1000"]
    term, sent = in_terminal(args, lambda t: bar_step(t, "rl Pendulum-v1") >= 250)
    assert sent
    lines = messages(term.stderr, "rl Pendulum-v1")
    assert term.proc.returncode == 130 and len(lines) == 1, term.stderr
    step = int(lines[0].split("at step ")[1].split(";")[0])
    assert step % 200 == 0 and 250 < step < 6000  # the end of the episode under way
    assert f"{run} keeps a checkpoint at step {step}" in lines[0]
    assert json.loads((run / "checkpoint" / "progress.json").read_text())["step"] == step
    assert f"smiling expert --env Pendulum-v1 --steps 6000 --out {run} --resume" in lines[0]


def test_second_ctrl_c_stops_at_once(tmp_path):
    """A second press does not wait for the next safe point, and still ends in one line."""
    run = tmp_path / "run"
    started: list[float] = []

    def pressed_once_already(term: Terminal) -> bool:
        if not started and (run / "config.json").exists():
            os.killpg(term.proc.pid, signal.SIGINT)  # the first press
            started.append(time.monotonic())
        return bool(started) and time.monotonic() > started[0] + 0.01

    term, sent = in_terminal(train(run, "--steps", "3000", *SMALL), pressed_once_already)
    assert sent or term.proc.returncode == 130
    assert_clean_interrupt(term, run)


# ------------------------------------------------------------------ the handler, in this process
@pytest.fixture
def default_sigint():
    """Python's own SIGINT handler for an in-process test, as in a fresh interpreter (an earlier
    test in this process may have left this module's handler installed and stopping), and the
    handler found restored afterwards."""
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def _press() -> None:
    """Ctrl-C to this thread (``raise_signal``: a process-directed ``kill`` may land in one of
    XLA's threads and reach the handler late); Python runs the handler at the next bytecode."""
    signal.raise_signal(signal.SIGINT)
    for _ in range(1000):  # the handler runs between bytecodes; give it a few
        pass


def test_deferred_press_is_acted_on_at_check_and_names_the_run(tmp_path, default_sigint):
    (tmp_path / "config.json").write_text("{}")
    reached = []
    with pytest.raises(interrupt.Interrupted) as stop:
        with interrupt.deferred(tmp_path, lambda: 7):
            _press()
            reached.append("after the press")  # recorded, not raised
            assert interrupt.requested()
            interrupt.check()
    assert reached and stop.value.run_dir == tmp_path and stop.value.step == 7
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_second_press_raises_at_once_and_is_labelled(tmp_path, default_sigint):
    with pytest.raises(interrupt.Interrupted) as stop:
        with interrupt.deferred(tmp_path / "unwritten", lambda: 3):
            _press()
            _press()
            raise AssertionError("the second press raises before this line")
    assert stop.value.run_dir is None  # no config.json: nothing to resume
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_no_press_no_stop_and_other_handlers_are_left_alone(default_sigint):
    with interrupt.deferred():
        interrupt.check()  # nothing pressed: nothing happens
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupt.deferred():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # not replaced
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_inside_a_bc_chunk_checkpoints_there_and_resumes_exactly(tmp_path, default_sigint):
    """BC's budget counts gradient steps in jitted chunks: Ctrl-C between two chunks of one
    stretch between cadences keeps a checkpoint at that chunk's end, and the resumed run ends
    with the weights of a run never stopped."""
    import jax
    import numpy as np

    from smiling import bundled_demos
    from smiling.algos import BC, Learner, LoopConfig

    demos = bundled_demos("Pendulum-v1")
    loop = LoopConfig(eval_every=100_000, eval_episodes=1, checkpoint_every=100_000)
    whole = BC("Pendulum-v1", demos, preset="debug", loop=loop)
    whole.learn(2000, run_dir=tmp_path / "whole", progress=False)

    stopped = BC("Pendulum-v1", demos, preset="debug", loop=loop)
    train, chunks = stopped._train, []

    def train_then_press(*args):
        chunks.append(len(chunks))
        out = train(*args)
        if len(chunks) == 2:  # after 2 of the 4 chunks of 500 steps
            _press()
        return out

    stopped._train = train_then_press
    run = tmp_path / "stopped"
    with pytest.raises(interrupt.Interrupted) as stop:
        stopped.learn(2000, run_dir=run, progress=False)
    assert stop.value.step == 1000 and len(chunks) == 2

    resumed, steps = Learner.restore(run, 2000)
    assert resumed.gradient_steps == 1000  # the checkpoint at the press, not at the start
    resumed.learn(steps, run_dir=run, progress=False)
    leaves = jax.tree_util.tree_leaves
    for a, b in zip(leaves(whole.state), leaves(resumed.state), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
