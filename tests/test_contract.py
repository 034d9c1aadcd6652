"""The contract every registered method and agent keeps, tested by registration alone.

Each (method, agent) pair the registries allow gets the same tests: a short learn into a run
directory, save/load/predict equality, and checkpoint-then-resume continuing the very same curve.
A new method or agent is covered by adding its registry line; its ``debug`` preset keeps the runs
small. A stand-in agent defined here, run through the real loop, shows the loop asks an agent
for nothing beyond the :class:`smiling.rl.agent.Agent` protocol.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import flax
import jax
import numpy as np
import pytest

from smiling.algos import Learner, LoopConfig
from smiling.algos.registry import METHODS
from smiling.bundled import bundled_demos
from smiling.config import Config
from smiling.errors import SmilingError
from smiling.rl import registry
from smiling.rl.agent import Agent, AgentEntry
from smiling.runs import (
    CONFIG_KEYS,
    STEP_KEYS,
    SUMMARY_KEYS,
    SUMMARY_KEYS_SOMETIMES,
    RunDir,
    is_run_entry,
    metric_names,
)

ENV = "Pendulum-v1"  # 200-step episodes
STEPS, HALF = 400, 200  # the checkpoint at HALF falls on an episode boundary
# log_every = eval_every: every evaluation logs the agent's metrics (checked against smiling.runs)
LOOP = LoopConfig(eval_every=100, eval_episodes=1, checkpoint_every=HALF, log_every=100)


def pairs() -> list[tuple[str, str]]:
    """Every (method, agent) the registries allow."""
    return [
        (m, a)
        for m, entry in METHODS.items()
        for a in registry.AGENTS
        if entry.agents is None or a in entry.agents
    ]


def make(method: str, agent: str, loop: LoopConfig = LOOP) -> Learner:
    demos = bundled_demos(ENV)
    if not METHODS[method].reads_actions(METHODS[method].presets["debug"]):
        demos = demos.state_only()
    return METHODS[method].cls(ENV, demos, preset="debug", seed=3, loop=loop, agent=agent)


class Finished(NamedTuple):
    """A pair's uninterrupted run: its directory and the learner that wrote it, still in memory
    so that what was saved can be compared with what was trained."""

    run: Path
    learner: Learner


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Callable[[str, str], Finished]:
    """A pair's uninterrupted run to STEPS, made on first use and kept for the module.

    Made per pair rather than all at once, so that a worker of ``pytest -n`` (the tests of a
    pair share an ``xdist_group``, see :func:`per_pair`) trains only the pairs it runs.
    """
    root = tmp_path_factory.mktemp("contract")
    runs: dict[tuple[str, str], Finished] = {}

    def get(method: str, agent: str) -> Finished:
        if (method, agent) not in runs:
            run = root / f"{method}-{agent}"
            learner = make(method, agent)
            learner.learn(STEPS, run_dir=run, progress=False)
            runs[(method, agent)] = Finished(run, learner)
        return runs[(method, agent)]

    return get


def per_pair() -> list:
    """:func:`pairs` as parameters, each pair's tests in one ``xdist_group``: with
    ``--dist loadgroup`` one worker runs them all, so each pair trains and compiles once.

    Each may be the first of its pair to run (``-k`` picks any), so each may make the pair's
    run and compile its code: IQ-Learn over SimBa's update alone takes over a CPU-minute to
    compile, minutes of wall time on a loaded machine, hence a longer hang guard than 300 s.
    """
    return [
        pytest.param(
            m, a, marks=[pytest.mark.xdist_group(f"contract-{m}-{a}"), pytest.mark.timeout(600)]
        )
        for m, a in pairs()
    ]


OBS = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)  # Pendulum observations


def actions(learner: Learner, deterministic: bool = True) -> np.ndarray:
    """``learner``'s actions for :data:`OBS` from a fresh carry, drawn with one fixed key (not
    the learner's own, which :meth:`Learner.predict` would advance and a resume then reuses)."""
    carry = learner.agent.initial_carry()
    key = jax.random.PRNGKey(7)
    return np.asarray(learner.agent.act(learner.state, OBS, key, carry, deterministic)[0])


def arrays(tree: Any) -> list[tuple[str, np.ndarray]]:
    """``tree``'s arrays by path, its dicts' keys sorted: a state read back from a file keeps
    the key order of the template it was read into, which is not part of the state."""
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    return [(jax.tree_util.keystr(path), np.asarray(leaf)) for path, leaf in leaves]


def assert_same_arrays(got: Any, want: Any, what: str) -> None:
    """The same paths, dtypes and values, bit for bit."""
    got, want = arrays(got), arrays(want)
    assert [p for p, _ in got] == [p for p, _ in want], what
    for (path, x), (_, y) in zip(got, want, strict=True):
        assert x.dtype == y.dtype, f"{what}{path}: {x.dtype} != {y.dtype}"
        np.testing.assert_array_equal(x, y, err_msg=f"{what}{path}")


def assert_same_learner(got: Learner, want: Learner) -> None:
    """``got`` holds ``want``'s trained state and acts as it does.

    Compared: the agent's state and the method's (every array, bit for bit; the method's as it
    saves it), the deterministic actions, and the stochastic ones (the whole policy, not only
    its mean).
    """
    assert_same_arrays(got.state, want.state, "agent state")
    got_method, want_method = got.method_state(), want.method_state()
    assert got_method.keys() == want_method.keys(), "method state"
    for name, blob in want_method.items():
        saved = flax.serialization.msgpack_restore
        assert_same_arrays(saved(got_method[name]), saved(blob), f"method state {name}")
    np.testing.assert_array_equal(actions(got), actions(want))
    np.testing.assert_array_equal(actions(got, False), actions(want, False))


def assert_acts_differently(a: Learner, b: Learner) -> None:
    """The comparison above can fail for these two: they do not act alike."""
    assert not np.array_equal(actions(a), actions(b))


@pytest.mark.parametrize("method, agent", per_pair())
def test_learn_writes_a_valid_run_directory(finished, method, agent):
    run = RunDir(finished(method, agent).run)
    config, summary = run.read_config(), run.read_summary()
    assert config["agent"]["name"] == agent and config["method"]["name"] == method
    assert (
        summary["label"]
        == config["label"]
        == METHODS[method].label(METHODS[method].presets["debug"], agent)
    )
    steps = [row[0] for row in run.read_curve()]
    assert steps == [100, 200, 300, 400]
    assert (run.path / "actor.msgpack").is_file() and (run.path / "model").is_dir()
    json.loads(run.summary_path.read_text(), parse_constant=pytest.fail)  # no NaN/Infinity


@pytest.mark.parametrize("method, agent", per_pair())
def test_the_run_directory_is_the_one_smiling_runs_describes(finished, method, agent):
    """smiling.runs is the one description of a run directory: every file, config and summary
    key and metric a real run writes is declared there, and every metric it says this pair
    always logs is logged."""
    run = RunDir(finished(method, agent).run)
    files = sorted(p.name for p in run.path.iterdir())
    assert [f for f in files if not is_run_entry(f)] == []
    assert sorted(run.read_config()) == sorted(CONFIG_KEYS)
    summary = set(run.read_summary())
    assert set(SUMMARY_KEYS) <= summary <= set(SUMMARY_KEYS) | set(SUMMARY_KEYS_SOMETIMES)
    logged = set().union(*run.read_metrics()) - set(STEP_KEYS)
    offline = METHODS[method].step_unit != "env"
    always, sometimes = metric_names(method, agent, offline=offline)
    assert sorted(always - logged) == [], "declared in smiling.runs.METRICS, never logged"
    assert sorted(logged - always - sometimes) == [], "logged, not in smiling.runs.METRICS"


@pytest.mark.parametrize("method, agent", per_pair())
def test_save_load_predict_equal(finished, method, agent):
    """The saved model is the trained learner (as Stable-Baselines3's ``test_save_load``
    compares the trained model's predictions with the loaded one's), and it is not what a
    load that skipped the saved state would give: a fresh learner of the same config."""
    run, trained = finished(method, agent)
    loaded = Learner.load(run / "model")
    assert type(loaded) is METHODS[method].cls and loaded.agent_name == agent
    assert loaded.env_steps == trained.env_steps and loaded.steps_done == trained.steps_done
    assert_same_learner(loaded, trained)
    assert_acts_differently(Learner.from_dir(run / "model"), trained)


@pytest.mark.parametrize("method, agent", per_pair())
def test_checkpoint_then_resume_continues_the_same_curve(tmp_path, finished, method, agent):
    """The restored learner is the one that wrote the checkpoint, and it continues the very
    curve of the uninterrupted run."""
    run = tmp_path / "run"
    first = make(method, agent)
    first.learn(HALF, run_dir=run, progress=False)  # its last checkpoint is at HALF: its end
    learner, steps = Learner.restore(run, STEPS)
    assert learner.steps_done == HALF and steps == STEPS
    assert_same_learner(learner, first)
    assert_acts_differently(Learner.from_dir(run), first)
    learner.learn(steps, run_dir=run, progress=False)
    resumed = np.asarray(RunDir(run).read_curve())[:, :2]
    whole = np.asarray(RunDir(finished(method, agent).run).read_curve())[:, :2]
    np.testing.assert_allclose(resumed, whole, rtol=1e-5)


def test_action_repeat_is_kept_by_the_run_and_its_resume(tmp_path):
    """A run at action repeat 2 steps its environments two simulator steps per decision, counts
    decisions, records the repeat, and resumes with it."""
    run = tmp_path / "run"
    loop = dataclasses.replace(LOOP, action_repeat=2, checkpoint_every=HALF // 2)
    learner = make("rl", "sac", loop)
    summary = learner.learn(HALF, run_dir=run, progress=False)
    assert summary["env_steps"] == HALF and summary["simulator_steps"] == 2 * HALF
    # Pendulum's 200-step episodes last 100 decisions: two ended, the third has begun.
    assert summary["action_repeat"] == 2 and learner.episodes == 3
    assert RunDir(run).read_config()["loop"]["action_repeat"] == 2
    restored, _ = Learner.restore(run, HALF + 100)
    assert restored.loop.action_repeat == 2
    assert restored.env.repeat == 2 and restored.eval_env.repeat == 2


def test_unknown_agent_and_agent_a_method_cannot_drive(monkeypatch):
    with pytest.raises(
        SmilingError, match="unknown agent 'nope'; known agents: sac, dreamerv3, simba"
    ):
        make("smiling", "nope")
    monkeypatch.setitem(registry.AGENTS, STAND_IN.name, STAND_IN)
    with pytest.raises(SmilingError, match="iq-learn works only with the agent"):
        make("iq-learn", STAND_IN.name)


# ----------------------------------------------------------- a stand-in agent
@dataclasses.dataclass(frozen=True)
class StandInConfig(Config):
    warmup: int = 50
    batch: int = 8
    lr: float = 0.1


class ListReplay:
    """The simplest replay: a Python list of transitions."""

    def __init__(self) -> None:
        self.items: list[tuple] = []

    def add(self, obs, action, reward, next_obs, terminated, truncated=False) -> None:
        self.items.append((obs, action, reward, next_obs, terminated, truncated))

    def __len__(self) -> int:
        return len(self.items)

    def save(self, path: Path) -> None:
        path.write_bytes(pickle.dumps(self.items))

    def load(self, path: Path) -> None:
        self.items = pickle.loads(path.read_bytes())


class StandIn:
    """A linear policy nudged towards actions whose reward (from the method's hook) was high;
    every name the loop may use is the protocol's."""

    name: ClassVar[str] = "stand-in"

    def __init__(self, obs_dim: int, act_dim: int, config: StandInConfig):
        self.obs_dim, self.act_dim, self.config = obs_dim, act_dim, config
        self.rewards_seen: list[float] = []

    @property
    def warmup_steps(self) -> int:
        return self.config.warmup

    def init(self, key: jax.Array) -> dict[str, Any]:
        return {"w": np.zeros((self.obs_dim, self.act_dim), np.float32), "updates": 0}

    def initial_carry(self) -> int:
        return 0  # counts steps within an episode, to check the loop resets it

    def observe(self, state, obs):
        return state  # keeps no statistics of its inputs

    def act(self, state, obs, key, carry=0, deterministic=False):
        action = np.tanh(np.asarray(obs, np.float32) @ state["w"])
        return action, carry + 1

    def make_replay(self, budget: int) -> ListReplay:
        return ListReplay()

    def sample(self, replay: ListReplay, rng: np.random.Generator) -> dict[str, np.ndarray]:
        idx = rng.integers(0, len(replay), self.config.batch)
        rows = [replay.items[i] for i in idx]
        return {
            "obs": np.stack([r[0] for r in rows]).astype(np.float32),
            "actions": np.stack([r[1] for r in rows]).astype(np.float32),
            "rewards": np.asarray([r[2] for r in rows], np.float32),
        }

    def updates_due(self, env_steps: int) -> int:
        return int(env_steps >= self.config.warmup and env_steps % 10 == 0)

    def update(self, state, batch, key, reward_fn=None):
        rewards = (
            batch["rewards"]
            if reward_fn is None
            else reward_fn(batch["obs"], batch["actions"], key)
        )
        rewards = np.asarray(rewards)
        self.rewards_seen.append(float(np.mean(rewards)))
        centred = rewards - rewards.mean()
        grad = batch["obs"].T @ (centred[:, None] * batch["actions"]) / len(rewards)
        new = {"w": state["w"] + self.config.lr * grad, "updates": state["updates"] + 1}
        return new, {"charts/stand_in_reward": float(np.mean(rewards))}

    def to_bytes(self, state) -> bytes:
        return pickle.dumps(state)

    def from_bytes(self, data: bytes):
        return pickle.loads(data)

    def policy_bytes(self, state) -> bytes:
        return pickle.dumps(state["w"])

    def load_policy(self, data: bytes):
        return {"w": pickle.loads(data), "updates": 0}

    def weights_bytes(self, state) -> bytes:
        return pickle.dumps(state["w"])  # no optimiser moments to leave out

    def from_weights(self, data: bytes):
        return {"w": pickle.loads(data), "updates": 0}


STAND_IN = AgentEntry(
    name="stand-in",
    cls=StandIn,
    config_type=StandInConfig,
    presets={"fast": StandInConfig(), "paper": StandInConfig(), "debug": StandInConfig()},
    summary="a test's linear policy",
)


def test_stand_in_agent_runs_through_the_real_loop(tmp_path, monkeypatch):
    """True reward and SMILING's reward both reach the stand-in's update; its run directory,
    model and resume work with no SAC anywhere."""
    monkeypatch.setitem(registry.AGENTS, STAND_IN.name, STAND_IN)
    assert isinstance(StandIn(3, 1, StandInConfig()), Agent)
    rl = METHODS["rl"].cls(ENV, None, preset="debug", loop=LOOP, agent="stand-in")
    summary = rl.learn(HALF, run_dir=tmp_path / "rl", progress=False)
    assert summary["label"] == "rl@stand-in" and rl.state["updates"] == (HALF - 50) // 10 + 1
    # Pendulum's true reward is never positive; SMILING's relabelled one is centred near zero.
    assert max(rl.agent.rewards_seen) <= 0

    sm = make("smiling", "stand-in")
    sm.learn(HALF, run_dir=tmp_path / "sm", progress=False)
    assert max(sm.agent.rewards_seen) > 0  # rewards from the score models, not the env
    loaded = Learner.load(tmp_path / "sm" / "model")
    np.testing.assert_array_equal(loaded.state["w"], sm.state["w"])
    learner, steps = Learner.restore(tmp_path / "sm", STEPS)
    assert learner.agent_name == "stand-in" and learner.env_steps == HALF
    learner.learn(steps, run_dir=tmp_path / "sm", progress=False)
    assert RunDir(tmp_path / "sm").read_summary()["env_steps"] == STEPS
    assert len(learner.replay) == STEPS


def test_a_diverged_agent_stops_with_a_clear_error(tmp_path, monkeypatch):
    """A NaN update makes NaN actions: the loop stops at the first one and says so, instead of
    handing it to the simulator; the checkpoint written before stays readable."""
    monkeypatch.setitem(registry.AGENTS, STAND_IN.name, STAND_IN)
    loop = LoopConfig(eval_every=100, eval_episodes=1, checkpoint_every=100, log_every=10)
    rl = METHODS["rl"].cls(ENV, None, preset="debug", loop=loop, agent="stand-in")
    real_update = rl.agent.update

    def poisoned(state, batch, key, reward_fn=None):
        new, metrics = real_update(state, batch, key, reward_fn)
        if new["updates"] == 12:  # the update at step 160, after the checkpoint at 100
            new = {**new, "w": new["w"] * np.nan}
            metrics = {"charts/stand_in_reward": float("nan")}
        return new, metrics

    monkeypatch.setattr(rl.agent, "update", poisoned)
    with pytest.raises(SmilingError, match=r"diverged: .* step 160 is not finite.*stand_in_rew"):
        rl.learn(HALF, run_dir=tmp_path / "rl", progress=False)
    learner, _ = Learner.restore(tmp_path / "rl", STEPS)
    assert learner.env_steps == 100 and np.all(np.isfinite(learner.state["w"]))


# ------------------------------------------------ a run directory is never overwritten by accident
def test_learn_refuses_a_directory_holding_another_run(tmp_path, monkeypatch):
    """A fresh learner's learn(run_dir=<a finished run>) is refused with the command line's
    sentence and changes nothing; ``restore`` continues it; ``overwrite=True`` replaces it."""
    monkeypatch.setitem(registry.AGENTS, STAND_IN.name, STAND_IN)
    run = tmp_path / "run"

    def rl(seed: int) -> Learner:
        return METHODS["rl"].cls(ENV, None, preset="debug", seed=seed, loop=LOOP, agent="stand-in")

    rl(0).learn(HALF, run_dir=run, progress=False)
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    with pytest.raises(SmilingError) as refused:
        rl(5).learn(HALF, run_dir=run, progress=False)
    assert str(refused.value).startswith(f"run directory '{run}' already exists and holds a run;")
    assert "RL.restore(" in str(refused.value) and "overwrite=True" in str(refused.value)
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before

    learner, steps = Learner.restore(run, STEPS)  # the explicit way to continue it
    learner.learn(steps, run_dir=run, progress=False)
    assert RunDir(run).read_summary()["env_steps"] == STEPS

    (run / "notes.txt").write_text("mine")  # not a run file: kept by an overwrite
    rl(5).learn(HALF, run_dir=run, progress=False, overwrite=True)
    config, summary = RunDir(run).read_config(), RunDir(run).read_summary()
    assert config["seed"] == summary["seed"] == 5 and config["steps"] == summary["env_steps"]
    assert len(list((run / "tb").iterdir())) == 1 and (run / "notes.txt").read_text() == "mine"
    assert [row[0] for row in RunDir(run).read_curve()] == [100, 200]


def test_cli_refuses_an_existing_run_with_the_same_sentence(tmp_path, capsys):
    from smiling.cli import main

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    assert main(["train", "--env", ENV, "--preset", "debug", "--out", str(run)]) == 2
    err = capsys.readouterr().err
    assert f"run directory '{run}' already exists and holds a run; choose another --out" in err


# -------------------------------------------- Ctrl-C keeps the run at the end of its episode
@pytest.fixture
def default_sigint():
    """Python's own SIGINT handler, as in a fresh interpreter, restored afterwards."""
    import signal

    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_ctrl_c_checkpoints_at_the_episode_end_and_resumes_exactly(
    tmp_path, monkeypatch, default_sigint
):
    """Ctrl-C mid-episode (step 130 of a 200-step episode, past the warm-up, with no checkpoint
    due before the end): the episode finishes, a checkpoint is written at its end (step 200),
    the message says so, and resuming from it gives the uninterrupted run's curve."""
    import signal

    from smiling import interrupt

    monkeypatch.setitem(registry.AGENTS, STAND_IN.name, STAND_IN)
    loop = dataclasses.replace(LOOP, checkpoint_every=0)  # a checkpoint only at the end

    def make_rl() -> Learner:  # the loop's logic, with nothing to compile: a second or two
        return METHODS["rl"].cls(ENV, None, preset="debug", seed=3, loop=loop, agent="stand-in")

    whole = tmp_path / "whole"
    make_rl().learn(STEPS, run_dir=whole, progress=False)

    run = tmp_path / "run"
    learner = make_rl()
    after_step = learner.after_step

    def pressing_at_130(env_steps: int):
        if env_steps == 130:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C, as the terminal sends it
        return after_step(env_steps)

    learner.after_step = pressing_at_130
    with pytest.raises(interrupt.Interrupted) as stop:
        learner.learn(STEPS, run_dir=run, progress=False)
    assert stop.value.step == HALF and RunDir(run).checkpoint_step() == HALF
    line = interrupt.message(stop.value, lambda d: f"smiling resume {d}")
    assert f"at step {HALF}; {run} keeps a checkpoint at step {HALF}" in line

    resumed, steps = Learner.restore(run, STEPS)
    assert resumed.steps_done == HALF
    resumed.learn(steps, run_dir=run, progress=False)
    np.testing.assert_allclose(
        np.asarray(RunDir(run).read_curve())[:, :2],
        np.asarray(RunDir(whole).read_curve())[:, :2],
        rtol=1e-5,
    )
