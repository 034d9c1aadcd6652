"""Saving, loading and resuming learners: :class:`Learner` is the training loop plus its files.

A learner is written two ways. A *model* (:meth:`Learner.save`, the run's ``model/``) holds the
config, the agent's and the method's state and the demonstrations: enough to act and evaluate.
A *checkpoint* (:meth:`Learner.save_checkpoint`, the run's ``checkpoint/``) adds the replay and
the loop's progress (:meth:`~smiling.algos.loop.TrainingLoop.progress`): enough to continue
exactly. Reading either back starts from the run's ``config.json``: which method it records is
looked up in the method registry here, so a model loads through the base class
(``Learner.load``) whatever its method, and the loop itself never asks the registry. Runs in
older shapes are translated by :mod:`smiling.algos.legacy` before anything else reads them.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

from smiling.algos import legacy
from smiling.algos.loop import TrainingLoop
from smiling.algos.loop_config import LoopConfig
from smiling.algos.registry import get_method
from smiling.checkpoint import Checkpointer
from smiling.config import preset_version
from smiling.errors import CheckpointError, SmilingError, warn
from smiling.io import atomic_write, write_json
from smiling.rl.registry import get_agent
from smiling.runs import RunDir

AGENT_STATE = "state"  # the agent's state in checkpoints and models: state.msgpack
AGENT_WEIGHTS = "weights"  # a compact checkpoint's agent file instead: weights.msgpack
REPLAY_FILE = "buffer.npz"
# The run's small files a compact copy carries (the learning curve, the kept actor, the data).
COMPACT_COPIES = ("config.json", "eval.csv", "metrics.jsonl", "actor.msgpack", "demos.npz")


class Learner(TrainingLoop):
    """The training loop of :mod:`smiling.algos.loop` that can be saved, loaded and resumed:
    the class every method subclasses (see that module for the hooks a method overrides)."""

    _checkpointer: Checkpointer | None = None  # of the run last checkpointed or restored

    # ------------------------------------------------------------ save / load
    def save(self, directory: str | Path) -> None:
        """Write the learner (config, agent state, method state, demonstrations) to
        ``directory``. The demonstrations travel with the model so :meth:`load` needs nothing
        else."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for name, blob in self._state_files().items():
            atomic_write(d / f"{name}.msgpack", lambda f, blob=blob: f.write(blob))
        if self.demos is not None:
            self.demos.save(d / "demos.npz")
        write_json(d / "config.json", {**self.config_dict(), "env_steps": self.env_steps})

    @classmethod
    def load(cls, directory: str | Path) -> Learner:
        """Rebuild a learner written by :meth:`save` (of this class or, from ``Learner``, any)."""
        d = Path(directory)
        if not (d / "config.json").is_file():
            raise SmilingError(f"'{d}' holds no saved model (config.json is missing)")
        learner = cls.from_dir(d)
        try:
            learner._read_state_files(d)
        except (ValueError, KeyError, OSError) as err:
            raise SmilingError(f"'{d}': saved model is unreadable ({err})") from None
        learner.env_steps = int(RunDir(d).read_config().get("env_steps", 0))
        learner._prepared = True
        return learner

    @classmethod
    def restore(cls, run_dir: str | Path, steps: int | None = None) -> tuple[Learner, int]:
        """The learner of a run directory at its newest usable checkpoint, and the step budget.

        Rebuilt from the run's own ``config.json`` and ``demos.npz``, so every registered method
        resumes the same way. ``steps`` replaces the recorded budget. A run killed before its
        first checkpoint starts again from step 0 (with a warning); one killed after its last
        checkpoint but before its summary only writes its final files; a run with checkpoints
        none of which is readable is a :class:`SmilingError`.
        """
        run = RunDir(run_dir)
        config = run.read_config()
        total = steps if steps is not None else config.get("steps")
        if not total or total < 1:
            raise SmilingError(f"{run.config_path} records no step budget; pass --steps")
        run.check_budget(total)  # a smaller budget than the run's step: say so, before loading
        learner = cls.from_dir(run.path)
        if run.checkpoints():
            learner.load_checkpoint(run.path, total)
        else:
            warn(f"'{run.path}' has no checkpoint yet; starting it again from step 0")
        learner._run_path = run.path  # its own run: learn(run_dir=...) continues it
        finished = run.read_summary() is not None
        at = learner.steps_done
        if at > total or (at == total and finished):
            raise SmilingError(
                f"'{run.path}' is already at step {at} of {total}; "
                f"pass --steps above {at} to continue it"
            )
        return learner, int(total)

    @classmethod
    def trained(cls, run_dir: str | Path) -> tuple[Learner, str]:
        """A run's trained learner, to evaluate or inspect: its final model if the run has
        finished, else its newest readable checkpoint; and which of the two (``"model"`` or the
        checkpoint's folder name)."""
        run = RunDir(run_dir)
        run.read_config()  # a clear error for a directory that is not a run
        model = run.path / "model"
        if (model / "config.json").is_file():
            return cls.load(model), "model"
        learner = cls.from_dir(run.path)
        return learner, learner.load_checkpoint(run.path, budget=None).name

    @classmethod
    def from_dir(cls, d: Path) -> Learner:
        """A fresh learner (no trained state) of the method ``d/config.json`` records, built
        from that config and the directory's demonstrations."""
        config = legacy.upgrade_config(RunDir(d).read_config(), d / "config.json")
        method = config.get("method")
        name = method.get("name", "") if isinstance(method, dict) else ""
        entry = get_method(str(name), where=f"{d / 'config.json'}: ")
        if not issubclass(entry.cls, cls):
            raise SmilingError(f"'{d}' holds a '{entry.name}' model, not {cls.entry.name}")
        agent = get_agent(config["agent"]["name"])
        try:
            method_config = type(entry.default_config()).from_dict(config["method"]["config"])
            agent_config = agent.config_type.from_dict(config["agent"]["config"])
        except (TypeError, KeyError) as err:
            raise SmilingError(f"{d / 'config.json'}: unreadable settings ({err})") from None
        learner = entry.cls(
            config["env_id"],
            legacy.run_demos(d, config),
            preset=config.get("preset", "fast"),
            seed=config["seed"],
            config=method_config,
            loop=LoopConfig.from_dict(config["loop"]),
            agent=agent.name,
            agent_config=agent_config,
        )
        learner.preset_version = preset_version(config)  # the numbers it ran, not today's
        return learner

    def _state_files(self) -> dict[str, bytes]:
        """The agent's state and the method's, as ``<name>.msgpack`` contents."""
        return {AGENT_STATE: self.agent.to_bytes(self.state), **self.method_state()}

    def _read_state_files(self, d: Path) -> None:
        """Inverse of :meth:`_state_files`."""
        self.state = self.agent.from_bytes((d / f"{AGENT_STATE}.msgpack").read_bytes())
        self._read_method_files(d, AGENT_STATE)

    def _read_weights(self, d: Path) -> None:
        """The agent's weights and the method's state of a compact checkpoint."""
        self.state = self.agent.from_weights((d / f"{AGENT_WEIGHTS}.msgpack").read_bytes())
        self._read_method_files(d, AGENT_WEIGHTS)

    def _read_method_files(self, d: Path, agent_file: str) -> None:
        extra = {p.stem: p.read_bytes() for p in d.glob("*.msgpack") if p.stem != agent_file}
        self.restore_method_state(extra)

    # ------------------------------------------------------------ checkpoints
    def save_checkpoint(self, path: str | Path | None = None) -> None:
        """Write everything needed to continue into ``path/checkpoint`` (default: the run
        directory being written), atomically (see :mod:`smiling.checkpoint`)."""
        if path is None:  # the run being written, else the one last checkpointed or restored
            recording = self._recorder or self._checkpointer
            path = None if recording is None else recording.path
        if path is None:
            raise SmilingError("no run directory to checkpoint into")
        if self._checkpointer is None or self._checkpointer.path != Path(path):
            self._checkpointer = Checkpointer(path)
        files: dict[str, Any] = {f"{k}.msgpack": v for k, v in self._state_files().items()}
        if self.replay is not None:
            files[REPLAY_FILE] = self.replay.save
        self._checkpointer.save(files, self.progress())

    def load_checkpoint(self, path: str | Path, budget: int | None) -> Path:
        """Restore the newest readable checkpoint of the run in ``path``; returns its folder.

        With ``budget=None`` the replay is not loaded (enough to act and evaluate); otherwise it
        is loaded into a replay made for that step budget.
        """
        self._checkpointer = Checkpointer(path)
        self._run_path = Path(path)  # the run it continues, which learn() may then write
        return self._checkpointer.load(lambda folder, p: self._read_checkpoint(folder, p, budget))

    @classmethod
    def compact_copy(cls, run_dir: str | Path, directory: str | Path) -> int:
        """Copy the run in ``run_dir`` at its newest checkpoint into ``directory``, compactly:
        a run directory of its own whose checkpoint holds the agent's weights only
        (:meth:`Agent.weights_bytes`: no optimiser moments, no target copies) and no replay.
        Returns the step copied.

        Why: a long run's full checkpoint is mostly replay (a 1M-step buffer) and optimiser
        moments, too big for git, and a machine's disk is not forever. A compact copy is small
        enough to commit at milestones, and ``smiling resume`` continues it anywhere. The
        continuation is not exact: the optimisers restart, target networks restart from the
        networks they track, and the replay starts empty, so the agent first acts for its
        warm-up length (``warmup_steps``) with its own policy, without updating, to refill it.
        """
        source, dest = Path(run_dir), Path(directory)
        if dest.exists() and any(dest.iterdir()):
            raise SmilingError(f"'{dest}' is not empty; choose a new folder for the copy")
        learner = cls.from_dir(source)
        learner.load_checkpoint(source, budget=None)
        dest.mkdir(parents=True, exist_ok=True)
        for name in COMPACT_COPIES:
            if (source / name).is_file():
                shutil.copy2(source / name, dest / name)
        files = {f"{AGENT_WEIGHTS}.msgpack": learner.agent.weights_bytes(learner.state)}
        files.update({f"{k}.msgpack": v for k, v in learner.method_state().items()})
        progress = learner.progress()
        refill = learner.env_steps + learner.agent.warmup_steps
        progress["refill_until"] = max(learner.refill_until, refill)
        Checkpointer(dest).save(files, progress)
        return learner.env_steps

    def _read_checkpoint(self, folder: Path, progress: dict[str, Any], budget: int | None) -> None:
        try:
            if (folder / f"{AGENT_WEIGHTS}.msgpack").is_file():  # a compact checkpoint
                self._read_weights(folder)
            else:
                self._read_state_files(folder)
            if budget is not None:
                self.replay = self.agent.make_replay(budget)
                if (folder / REPLAY_FILE).exists():
                    self.replay.load(folder / REPLAY_FILE)
            limit = getattr(self.env.spec, "max_episode_steps", None) if self.env.spec else None
            progress = legacy.upgrade_progress(progress, limit, self.loop.action_repeat)
            self.restore_progress(progress)
        except (ValueError, KeyError, TypeError, OSError, zipfile.BadZipFile) as err:
            raise CheckpointError(f"checkpoint '{folder}' is unreadable ({err})") from None
