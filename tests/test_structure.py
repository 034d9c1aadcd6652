"""The code's shape, which a later change could quietly undo (issue 35, items 1 and 2).

- The loop imports neither the method registry nor a method; persistence finds a saved run's
  class through the registry; the expert reader needs no loop; building the parser needs no JAX.
- Every setting is declared once: the CLI's loop flags, the errors' flag names and the
  arguments a sweep hands its runs are generated from :class:`LoopConfig`, and parsing those
  arguments gives the run spec back.
- The registries declare everything the CLI lists (presets, variant switches), and an
  environment family is one row of :data:`smiling.envs.ENV_FAMILIES`.
"""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest

from smiling import cli, settings
from smiling.algos import Learner, LoopConfig
from smiling.algos.registry import METHODS
from smiling.config import PRESETS
from smiling.plugins import Registry
from smiling.rl.registry import AGENTS, DEFAULT_AGENT
from smiling.runspec import RunSpec
from smiling.variants import VARIANT_FLAGS

SRC = Path(__file__).resolve().parents[1] / "src" / "smiling"


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any level (module or inside a function)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _loaded_after(statement: str) -> set[str]:
    """The ``smiling``, ``jax`` and ``numpy`` modules a fresh interpreter holds after
    ``statement``."""
    code = f"{statement}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return {m for m in out.split() if m.split(".")[0] in ("smiling", "jax", "numpy")}


# Each method's JAX-free config module (its registry home) and the module of its code.
CONFIG_MODULES = {home.split(":")[0] for home in METHODS._homes.values()}
METHOD_MODULES = CONFIG_MODULES | {m.removesuffix("_config") for m in CONFIG_MODULES}


def test_the_loop_imports_no_registry_and_no_method():
    imported = _imports(SRC / "algos" / "loop.py")
    assert not any(m.startswith("smiling.algos.registry") for m in imported)
    assert not imported & METHOD_MODULES
    assert not any(m.startswith("smiling.algos.persistence") for m in imported)
    loaded = _loaded_after("import smiling.algos.loop")
    assert "smiling.algos.registry" not in loaded and not loaded & METHOD_MODULES


def test_no_module_of_the_learner_imports_inside_functions():
    """The cycle that base.py held with imports inside functions is gone: the learner's
    modules import at the top only."""
    for name in ("loop", "persistence", "legacy", "entry", "registry", "loop_config"):
        tree = ast.parse((SRC / "algos" / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
                assert not inner, f"algos/{name}.py: {node.name} imports inside the function"


def test_the_expert_reader_and_the_parser_load_no_loop():
    assert "smiling.algos.loop" not in _loaded_after("import smiling.experts.policy")
    loaded = _loaded_after("import smiling.cli; smiling.cli.build_parser()")
    assert not {"jax", "numpy", "smiling.algos.loop"} & loaded, loaded


def test_a_method_class_takes_its_name_and_presets_from_its_entry():
    for name, entry in METHODS.items():
        assert entry.cls.entry is entry and entry.name == name
        assert "method" not in vars(entry.cls) and "presets" not in vars(entry.cls)

    class Unregistered(Learner):
        pass

    with pytest.raises(TypeError, match="declare a MethodEntry"):
        Unregistered("Pendulum-v1")
    entry = METHODS["rl"]
    with pytest.raises(ValueError, match="already the class of method 'rl'"):
        dataclasses.replace(entry, name="rl-again")


def test_the_configs_check_the_names_the_networks_implement():
    """Configs check activation names without JAX (smiling.config); the networks have one
    function for each."""
    import smiling.nn
    from smiling.config import ACTIVATION_NAMES

    assert tuple(smiling.nn.ACTIVATIONS) == ACTIVATION_NAMES


def test_an_entry_that_names_its_class_binds_only_that_class():
    """A registered entry names its class as "module:Class"; the class binds itself when it is
    defined, and a class the entry does not name cannot."""
    from smiling.algos.entry import MethodEntry

    entry = MethodEntry(name="other", cls="smiling.algos.rl:RL", presets={}, summary="")
    with pytest.raises(ValueError, match="names the class smiling.algos.rl:RL, not"):

        class Other(Learner, entry=entry):
            pass


def test_every_registered_method_and_agent_defines_the_presets_and_variant_switches():
    assert DEFAULT_AGENT in AGENTS
    for entry in [*METHODS.values(), *AGENTS.values()]:
        assert set(entry.presets) == set(PRESETS), entry.name
    offered = {v for entry in METHODS.values() for v in entry.variants}
    assert offered == set(VARIANT_FLAGS)


def test_registry_resolves_lazily_and_takes_stand_ins():
    registry = Registry({"rl": "smiling.algos.rl:RL_ENTRY"})
    assert list(registry) == ["rl"] and len(registry) == 1 and "rl" in registry
    assert registry["rl"] is METHODS["rl"]
    stand_in = object()
    registry["other"] = stand_in
    assert list(registry) == ["rl", "other"] and registry["other"] is stand_in
    del registry["other"]
    assert list(registry) == ["rl"]
    with pytest.raises(KeyError):
        registry["nope"]
    with pytest.raises(ValueError, match="is named 'rl', not 'wrong'"):
        Registry({"wrong": "smiling.algos.rl:RL_ENTRY"})["wrong"]


# ------------------------------------------------------------------ settings, declared once
def test_loop_flags_come_from_the_loop_config():
    flagged = settings.flag_names(LoopConfig)
    assert set(flagged) == {f.name for f in dataclasses.fields(LoopConfig) if f.name != "log_every"}
    assert {k: v for k, v in cli.SETTING_FLAGS.items() if k != "steps"} == flagged
    parser = cli.build_parser()
    sub = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse's own
    for command in ("train", "sweep"):
        text = sub[command].format_help()
        assert all(flag in text for flag in flagged.values()), command
    expert = sub["expert"].format_help()
    assert all(flag in expert for k, flag in flagged.items() if k != "keep_best")
    assert "--keep-best" not in expert  # an expert always keeps its best policy


def _parse(args: list[str]) -> RunSpec:
    return cli._spec(cli.build_parser().parse_args(["train", *args]))


SPECS = [
    RunSpec("smiling", "Pendulum-v1"),
    RunSpec(
        "dac",
        "dmc:cartpole-swingup",
        agent="dreamerv3",
        preset="debug",
        seed=7,
        variants=("actions", "linear"),
        overrides=("reward.num_timesteps=3", "agent.batch_size=4"),
        loop=LoopConfig(
            eval_every=7,
            eval_episodes=2,
            checkpoint_every=0,
            keep_best=True,
            video_every=14,
            video_max_frames=9,
            action_repeat=2,
        ),
    ),
    RunSpec(
        "smiling",
        "Pendulum-v1",
        demos="d.npz",
        expert_return=-150.5,
        random_return=-1200.0,
        demo_episodes=3,
    ),
]


@pytest.mark.parametrize("spec", SPECS)
def test_a_run_spec_round_trips_through_train_arguments(spec):
    assert _parse(spec.train_args()) == spec


def test_sweep_runs_get_the_sweep_settings(tmp_path):
    from smiling.sweep import plan

    flags = ["--eval-every", "300", "--keep-best", "--action-repeat", "2", "--set", "x=1"]
    args = cli.build_parser().parse_args(["sweep", "--env", "Pendulum-v1", *flags])
    shared = cli._spec(args, method_spec="dac+linear", env="Pendulum-v1").shared_args()
    (job,) = plan(["dac+linear"], ["Pendulum-v1"], [4], tmp_path, 300, shared)
    spec = cli._spec(cli.build_parser().parse_args(list(job.args)))
    assert spec.loop == LoopConfig(eval_every=300, keep_best=True, action_repeat=2)
    assert (spec.method, spec.variants, spec.seed) == ("dac", ("linear",), 4)
    assert spec.overrides == ("x=1",)


def test_expert_is_train_rl_keep_best():
    args = cli.build_parser().parse_args(["expert", "--env", "Pendulum-v1", "--steps", "10"])
    spec = cli._spec(args)
    assert (spec.method, spec.agent, spec.loop.keep_best, spec.loop.eval_every) == (
        "rl",
        DEFAULT_AGENT,
        True,
        10_000,
    )
    args = cli.build_parser().parse_args(
        ["expert", "--env", "Pendulum-v1", "--steps", "10", "--agent", "dreamerv3"]
    )
    assert cli._spec(args).agent == "dreamerv3"


# ------------------------------------------------------------------ environment families
def test_an_environment_family_is_one_row(monkeypatch):
    from smiling import envs
    from smiling.termination import can_terminate

    assert envs.env_family("dmc:cheetah-run").prefix == "dmc:"
    assert envs.env_family("Pendulum-v1").prefix == "Pendulum-"
    assert envs.env_family("Hopper-v5").prefix == ""

    def make_toy(env_id: str) -> gym.Env:
        return gym.make("Pendulum-v1").unwrapped  # no spec, no time limit: the row decides

    row = envs.EnvFamily("toy:", make_toy, can_terminate=True, gymnasium=False, naming="a toy")
    monkeypatch.setattr(envs, "ENV_FAMILIES", (*envs.ENV_FAMILIES, row))
    env = envs.make_env("toy:anything", seed=0)
    assert env.observation_space.shape == (3,) and envs.id_of(env) == "toy:anything"
    assert can_terminate(env)
    never = dataclasses.replace(row, can_terminate=False)
    monkeypatch.setattr(envs, "ENV_FAMILIES", (*envs.ENV_FAMILIES[:-1], never))
    assert not can_terminate(env)
