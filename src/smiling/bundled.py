"""Demonstrations and expert policies shipped inside the package (nothing is downloaded)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from smiling.data.demos import Demonstrations
from smiling.errors import DemonstrationsError

# Expert mean returns the bundled demonstrations must reach (issue 2); the experts' curves and the
# demonstrations' returns are in benchmarks/results/expert_curves/expert_table.md.
EXPERT_TARGETS = {
    "Pendulum-v1": -200.0,
    "dmc:cartpole-swingup": 800.0,
    "dmc:ball_in_cup-catch": 950.0,
    "dmc:cheetah-run": 750.0,
    "Hopper-v5": 3000.0,
}
BUNDLED_ENVS = (
    "Pendulum-v1",
    "dmc:cartpole-swingup",
    "dmc:ball_in_cup-catch",
    "dmc:cheetah-run",
    "Hopper-v5",
)


def slug(env_id: str) -> str:
    """File-system name of an env id (``dmc:cheetah-run`` -> ``dmc_cheetah-run``)."""
    return env_id.replace(":", "_").replace("/", "_")


def assets_dir() -> Path:
    return Path(str(resources.files("smiling") / "assets"))


def has_bundled_demos(env_id: str) -> bool:
    return (assets_dir() / "demos" / f"{slug(env_id)}.npz").is_file()


def bundled_demos_path(env_id: str) -> Path:
    if not has_bundled_demos(env_id):
        raise DemonstrationsError(
            f"no bundled demonstrations for '{env_id}'; bundled ones exist for "
            f"{', '.join(BUNDLED_ENVS)}. Make your own with `smiling expert` and `smiling demos`."
        )
    return assets_dir() / "demos" / f"{slug(env_id)}.npz"


def bundled_demos(env_id: str) -> Demonstrations:
    """The 10-episode expert demonstrations shipped for ``env_id``."""
    return Demonstrations.load(bundled_demos_path(env_id), env_id=env_id)
