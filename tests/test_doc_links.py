"""Every relative link in the docs resolves, and every repository path they name exists.

Links: ``[text](target)`` in the top-level *.md files, docs/ (notes too),
benchmarks/README.md and the results index, resolved from the linking file. Paths: a code span
that names a file or folder of the repository (``benchmarks/...``, ``docs/...``, ``src/...``,
``tests/...``, ``scripts/...``), without wildcards or placeholders, read from the repository root;
so a moved file cannot leave a doc pointing at nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted(
    {
        *ROOT.glob("*.md"),
        *(ROOT / "docs").rglob("*.md"),
        ROOT / "benchmarks" / "README.md",
        ROOT / "benchmarks" / "results" / "README.md",
    }
)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
SPAN = re.compile(r"`((?:benchmarks|docs|src|tests|scripts)/[^`\s]*)`")
PLACEHOLDER = re.compile(r"[*{}<>\[\]]|\.\.\.|NAME|/X\b")
# Run directories are not committed (benchmarks/runs/): a doc may say where they go.
UNCOMMITTED = ("benchmarks/runs/",)
# CHANGELOG.md records what was true at each release; its paths may name what has moved since.
HISTORY = {"CHANGELOG.md"}


def _links(text: str) -> list[str]:
    return [a or b for a, b in LINK.findall(text)]


def _relative(target: str) -> bool:
    return not re.match(r"[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(ROOT)))
def test_relative_links_resolve(doc):
    missing = [
        target
        for target in _links(doc.read_text())
        if _relative(target) and not (doc.parent / target.split("#")[0]).exists()
    ]
    assert not missing, f"{doc.relative_to(ROOT)} links to what is not there: {missing}"


@pytest.mark.parametrize(
    "doc", [d for d in DOCS if d.name not in HISTORY], ids=lambda d: str(d.relative_to(ROOT))
)
def test_named_repository_paths_exist(doc):
    missing = [
        path
        for path in SPAN.findall(doc.read_text())
        if not PLACEHOLDER.search(path)
        and not path.startswith(UNCOMMITTED)
        and not (ROOT / path.rstrip(".,;:")).exists()
    ]
    assert not missing, f"{doc.relative_to(ROOT)} names paths that are not there: {missing}"
