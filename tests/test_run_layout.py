"""docs/experiments.md shows the run directory and the metric names as smiling.runs declares
them (the one description of both; tests/test_contract.py checks it against real runs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smiling.algos.registry import METHODS
from smiling.rl import registry
from smiling.runs import METRICS, metric_names, metrics_markdown, run_files_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "experiments.md"
BLOCKS = {"run-files": run_files_markdown, "metrics": metrics_markdown}


def doc_block(text: str, name: str) -> str:
    found = re.findall(rf"<!-- {name} -->\n(.*?)<!-- /{name} -->", text, flags=re.S)
    assert len(found) == 1, f"{DOC.name}: expected one <!-- {name} --> block"
    return found[0]


def regenerate(text: str) -> str:
    """``text`` with every block rewritten from smiling.runs (how the doc is updated:
    ``python tests/test_run_layout.py``)."""
    for name, render in BLOCKS.items():
        text = re.sub(
            rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)",
            lambda m, render=render: m.group(1) + render() + m.group(2),
            text,
            flags=re.S,
        )
    return text


@pytest.mark.parametrize("name", BLOCKS)
def test_the_doc_shows_what_smiling_runs_declares(name):
    shown = doc_block(DOC.read_text(), name)
    assert shown == BLOCKS[name](), "run: python tests/test_run_layout.py (rewrites the doc)"


def test_every_metric_names_registered_writers_and_every_pair_has_its_metrics():
    names = [m.name for m in METRICS]
    assert len(names) == len(set(names))
    for m in METRICS:
        assert set(m.agents) <= set(registry.AGENTS), m.name
        assert set(m.methods) <= set(METHODS), m.name
    for agent in registry.AGENTS:  # an agent that logs nothing would not be declared: say so
        assert any(agent in m.agents for m in METRICS), f"agent {agent}: no metrics declared"
    always, sometimes = metric_names("smiling", "dreamerv3")
    assert {"losses/wm", "losses/learner_score", "charts/eval_return"} <= always
    assert "losses/temperature" not in always | sometimes
    assert "losses/expert_score_val" in sometimes
    always, _ = metric_names("bc", "sac", offline=True)
    assert "losses/bc" in always and "losses/critic" not in always


if __name__ == "__main__":
    DOC.write_text(regenerate(DOC.read_text()))
    print(f"rewrote {DOC}")
