"""The documentation's Python examples run as written.

Every ```python block of README.md and docs/*.md is executed, in order, in one namespace per file,
in an empty working directory, which must hold nothing but ``runs/`` afterwards (the examples
write there, as a reader's would in a clone, whose git ignores it), and the checkout must be as
clean as before. Only step budgets shrink: each
substitution below must find its text, so an edited example cannot silently run its full budget,
and the fast preset's expert pre-training is shortened the same way. The examples themselves stay
exactly as a reader sees them.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest

from smiling.algos.smiling import SMILING_PRESETS

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHRINK = {"learn(20_000,": "learn(200,"}  # what an example says -> what the test runs


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


@pytest.mark.parametrize(
    "doc", [d for d in DOCS if python_blocks(d.read_text())], ids=lambda d: d.name
)
def test_python_examples_run(doc, tmp_path, monkeypatch):
    fast = SMILING_PRESETS["fast"]
    short = dataclasses.replace(fast, expert_pretrain_steps=50)
    monkeypatch.setitem(SMILING_PRESETS, "fast", short)
    monkeypatch.chdir(tmp_path)
    # Minari examples write datasets under MINARI_DATASETS_PATH: docs/data.md sets it to
    # runs/minari-datasets, in this test's folder.
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "runs" / "minari-datasets"))
    before = _checkout_status()
    code = "\n".join(python_blocks(doc.read_text()))
    for written, run in SHRINK.items():
        code = code.replace(written, run)
    budgets = [int(b.replace("_", "")) for b in re.findall(r"\.learn\(([\d_]+)", code)]
    assert all(b <= 1000 for b in budgets), f"add the example's budget to SHRINK: {budgets}"
    namespace: dict = {"__name__": "__doc_example__"}
    exec(compile(code, str(doc), "exec"), namespace)
    assert {p.name for p in tmp_path.iterdir()} <= {"runs"}, "an example writes outside runs/"
    assert _checkout_status() == before, "an example wrote into the checkout"


def _checkout_status() -> str:
    """``git status`` of the checkout (untracked files included; empty outside a git clone)."""
    result = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return result.stdout if result.returncode == 0 else ""


def test_shell_examples_write_under_runs():
    """A command a reader copies writes where a clone ignores it (runs/, experts/), or where
    the example says (/tmp, a variable, a placeholder such as FILE): never a file among the
    checkout's own."""
    for doc in DOCS:
        for block in re.findall(r"^```(?:bash|sh)?\n(.*?)^```", doc.read_text(), flags=re.S | re.M):
            for out in re.findall(r"--out[ =](\S+)", block):
                assert re.match(r"(runs/|experts/|/tmp/|\$|[A-Z_]+$)", out), f"{doc.name}: {out}"


# Modules the examples use by a name, and the names they are imported as.
MODULE_NAMES = ("smiling", "np", "gym", "minari", "jax")


def test_each_python_example_imports_what_it_uses():
    """A reader copies one block, not the page: every block imports the modules it names."""
    for doc in DOCS:
        for block in python_blocks(doc.read_text()):
            used = set(re.findall(rf"\b({'|'.join(MODULE_NAMES)})\.", block))
            imported = set(re.findall(r"^import \w+ as (\w+)|^import (\w+)", block, flags=re.M))
            names = {name for pair in imported for name in pair if name}
            names |= set(re.findall(r"^from (\w+)", block, flags=re.M))
            missing = used - names
            assert not missing, f"{doc.name}: a block uses {sorted(missing)} without importing"
