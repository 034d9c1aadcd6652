"""The results index (benchmarks/results/README.md) is the one benchmarks/results_index.py writes
from the folders as they are, and every benchmark writes into its own folder."""

from __future__ import annotations

import ast
import subprocess

import pytest
from benchmark_modules import BENCHMARKS, benchmark_module

index = benchmark_module("results_index")


def _full_history() -> bool:
    out = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.returncode == 0 and out.stdout.strip() == "false"


@pytest.mark.skipif(not _full_history(), reason="the index's commits come from the git history")
def test_the_committed_index_is_what_the_script_writes():
    fresh = index.render()
    assert index.INDEX.read_text() == fresh, "run: python benchmarks/results_index.py"


def test_every_folder_and_top_level_benchmark_has_an_entry_with_what_it_measures():
    text = index.render()
    folders = [p.name for p in index.RESULTS.iterdir() if p.is_dir() and p.name != "runs"]
    for name in [*folders, *index.TOP_LEVEL]:
        assert f"`{name}`" in text
    for name, folder, _ in index.benchmarks():
        what, source = index.what_it_measures(name, folder)
        assert source, f"{name}: no script and no README.md says what it measures"
    # Every file and record set at the top of results/ belongs to a benchmark kept there.
    top_files = [p.name for p in index.RESULTS.iterdir() if p.is_file() and p != index.INDEX]
    strays = [f for f in top_files if not f.startswith(index.TOP_LEVEL)]
    assert not strays, f"results/ files of no benchmark folder: {strays}"
    top_sets = {p.name for p in (index.RESULTS / "runs").iterdir()}
    assert top_sets <= set(index.TOP_LEVEL)


def test_a_new_result_changes_the_index(tmp_path, monkeypatch):
    """A folder with a result the index does not list makes it out of date (what the first test
    would then catch), and the index reads the result's own provenance and headline."""
    results = tmp_path / "results"
    (results / "sac_update").mkdir(parents=True)
    payload = (
        '{"date": "2026-01-02T03:04:05+00:00", "command": "python benchmarks/sac_update.py '
        '--note two cores busy", "commit": "abc1234", "results": [{"preset": "fast", '
        '"ms_per_update_median": 8.92}]}'
    )
    (results / "sac_update" / "sac_update.json").write_text(payload)
    monkeypatch.setattr(index, "RESULTS", results)
    monkeypatch.setattr(index, "added_commits", dict)
    text = index.render()
    assert "## [`sac_update`](sac_update/)" in text
    assert "2026-01-02, commit abc1234" in text
    assert "`python benchmarks/sac_update.py --note ...`" in text
    assert "fast: 8.9 ms per update" in text
    assert "`reward_scale` (files at the top of results/)" in text  # listed before it has files


def test_scripts_write_into_their_folder_through_common():
    """No benchmark script builds a path to results/ itself: each takes its folder from
    common.results_dir / records_dir, so a folder's name is decided in one place."""
    for script in sorted(BENCHMARKS.glob("*.py")):
        if script.name in ("common.py", "results_index.py"):
            continue
        for node in ast.walk(ast.parse(script.read_text())):
            if (
                isinstance(node, ast.BinOp)
                and isinstance(node.op, ast.Div)
                and isinstance(node.right, ast.Constant)
                and node.right.value == "results"
            ):
                pytest.fail(f"{script.name} builds a results/ path; use common.results_dir")


def test_record_sets_are_found_where_they_are_and_new_ones_go_to_their_script(
    tmp_path, monkeypatch
):
    common = benchmark_module("common")
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    (tmp_path / "gpu" / "runs" / "probe").mkdir(parents=True)
    assert common.records_dir("probe", "smiling_learning") == tmp_path / "gpu" / "runs" / "probe"
    new = common.records_dir("new", "smiling_learning")
    assert new == tmp_path / "smiling_learning" / "runs" / "new"
    assert common.records_dir("reward_scale", "reward_scale") == tmp_path / "runs" / "reward_scale"
    assert common.results_dir("simba_cost") == tmp_path
    assert common.results_dir("baselines") == tmp_path / "baselines"
    assert common.find_records("absent") is None
