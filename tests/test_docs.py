"""The documentation's Python examples run as written.

Every ```python block of README.md and docs/*.md is executed, in order, in one namespace per file,
in an empty working directory (so files they write land there). Only step budgets shrink: each
substitution below must find its text, so an edited example cannot silently run its full budget,
and the fast preset's expert pre-training is shortened the same way. The examples themselves stay
exactly as a reader sees them.
"""

from __future__ import annotations

import dataclasses
import re
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
    # Minari examples write datasets under MINARI_DATASETS_PATH: keep them in this test's folder.
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    code = "\n".join(python_blocks(doc.read_text()))
    for written, run in SHRINK.items():
        code = code.replace(written, run)
    budgets = [int(b.replace("_", "")) for b in re.findall(r"\.learn\(([\d_]+)", code)]
    assert all(b <= 1000 for b in budgets), f"add the example's budget to SHRINK: {budgets}"
    namespace: dict = {"__name__": "__doc_example__"}
    exec(compile(code, str(doc), "exec"), namespace)
