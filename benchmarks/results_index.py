"""Write benchmarks/results/README.md: the index of every benchmark's results.

Usage: python benchmarks/results_index.py [--check]

Per benchmark (one folder under results/, or a script whose results still sit at the top of
results/, common.TOP_LEVEL): what it measures (the first paragraph of the script's docstring, or
of the folder's own README.md), and per result JSON its date, command and commit and a headline
number, all read from the JSON itself; then the run-record sets and archived reports it keeps.
A JSON written before the benchmarks recorded their commit (common.provenance) gets the commit
that added it to the repository, from git. ``--check`` writes nothing and exits 1 when the
committed index differs from a fresh one (tests/test_results_index.py checks the same).

The index is generated, not written by hand, so that it cannot drift from the folders: after a
benchmark writes or moves results, run this script and commit its output with them.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
RESULTS = BENCHMARKS / "results"
INDEX = RESULTS / "README.md"
# Benchmarks whose results stay at the top of results/ (records in results/runs/<name>/): their
# grids run in other worktrees and are copied here while they last. Move them into their own
# folders (git mv, and drop them from here) once no grid writes to them. common.py imports it.
TOP_LEVEL = ("humanoid_expert", "reward_scale", "simba_cost")
DATA = (".json", ".jsonl")


def first_paragraph(text: str) -> str:
    """The first paragraph of ``text``, joined into one line; a heading is joined with the
    paragraph after it ("Title: text")."""
    paras = [p for p in text.strip().split("\n\n") if p.strip()]
    if not paras:
        return ""
    first = " ".join(line.strip() for line in paras[0].splitlines())
    if first.startswith("#"):
        rest = first_paragraph("\n\n".join(paras[1:]))
        return first.lstrip("#").strip() + (f": {rest}" if rest else "")
    return first


def what_it_measures(name: str, folder: Path) -> tuple[str, str]:
    """(what the benchmark measures, where that is said): the script's docstring, else the
    folder's README.md."""
    script = BENCHMARKS / f"{name}.py"
    if script.exists():
        doc = ast.get_docstring(ast.parse(script.read_text())) or ""
        return first_paragraph(doc), f"benchmarks/{name}.py"
    readme = folder / "README.md"
    if readme.exists():
        return first_paragraph(readme.read_text()), f"{name}/README.md"
    return "(no script or README.md says)", ""


def added_commits() -> dict[str, str]:
    """The commit that added each file under results/ (following renames), by path relative to
    results/; empty outside a full git checkout (a shallow clone lacks the history)."""
    root = BENCHMARKS.parent
    try:
        shallow = subprocess.run(
            ["git", "rev-parse", "--is-shallow-repository"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if shallow.returncode or shallow.stdout.strip() != "false":
            return {}
        log = subprocess.run(
            ["git", "log", "--reverse", "-M", "--name-status", "--format=@%h", "--", "."],
            cwd=RESULTS,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (FileNotFoundError, subprocess.CalledProcessError):
        return {}
    prefix = str(RESULTS.relative_to(root)) + "/"
    added: dict[str, str] = {}
    commit = ""
    for line in log.splitlines():
        if line.startswith("@"):
            commit = line[1:]
            continue
        parts = line.split("\t")
        status = parts[0][:1]
        if status == "A":
            added[parts[1]] = commit
        elif status == "R":
            added[parts[2]] = added.pop(parts[1], commit)
        elif status == "D":
            added.pop(parts[1], None)
    return {p.removeprefix(prefix): c for p, c in added.items() if p.startswith(prefix)}


def read_payload(path: Path) -> dict[str, Any]:
    """A result JSON, or the first JSON line of a .jsonl (after its comment lines)."""
    text = path.read_text()
    if path.suffix == ".jsonl":
        for line in text.splitlines():
            if line.strip() and not line.startswith("#"):
                return json.loads(line)
        return {}
    payload = json.loads(text)
    return payload if isinstance(payload, dict) else {}


def jsonl_comment(path: Path) -> str:
    """A .jsonl's leading comment line (where the JSON lines carry no provenance)."""
    first = path.read_text().splitlines()[:1]
    return first[0].lstrip("# ").strip() if first and first[0].startswith("#") else ""


def short_command(command: str) -> str:
    """The command without its ``--note`` text (kept in the JSON), which can be a paragraph."""
    head, sep, _ = command.partition(" --note ")
    return head.strip() + (" --note ..." if sep else "")


# Headline numbers, one reader per kind of result JSON. Each returns "" where its numbers are
# not there, and the index then points to the result's own .md.


def seeds(n: int) -> str:
    return f"{n} seed" + ("s" if n != 1 else "")


def _label(row: dict[str, Any]) -> str:
    """A report row's label; reports written before it was called the label name it "algo"
    (smiling.algos.legacy.report_label: the same rule, not imported so that this index needs
    nothing but the standard library)."""
    return str(row["label"] if "label" in row else row["algo"])


def report_headline(p: dict[str, Any]) -> str:
    """A learning report (smiling.report): per task, the arm with the highest late IQM."""
    best: dict[str, dict[str, Any]] = {}
    for row in p.get("table", []):
        if row.get("late_iqm") is None or _label(row).startswith("expert"):
            continue  # an expert's own curve is the reference, not an arm
        if row["env_id"] not in best or row["late_iqm"] > best[row["env_id"]]["late_iqm"]:
            best[row["env_id"]] = row
    if not best:
        return ""
    cells = [
        f"{env}: {_label(r)} {r['late_iqm']:.2f} ({seeds(len(r['seeds']))})"
        for env, r in best.items()
    ]
    return (
        "highest late IQM (" + best[next(iter(best))]["metric"] + ") per task: " + "; ".join(cells)
    )


def sac_update_headline(p: dict[str, Any]) -> str:
    return ", ".join(
        f"{r['preset']}: {r['ms_per_update_median']:.1f} ms per update" for r in p["results"]
    )


def throughput_headline(p: dict[str, Any]) -> str:
    """env-steps/s per method, of the one result or of each env of several."""
    if "summary" in p:
        return ", ".join(f"{k}: {v['mean']:.0f} env-steps/s" for k, v in p["summary"].items())
    rows = [p["result"]] if "result" in p else p["results"]
    cells = []
    for r in rows:
        if "env_steps_per_second" in r:
            speeds = ", ".join(f"{m} {v:.0f}" for m, v in r["env_steps_per_second"].items())
        else:
            speeds = ", ".join(
                f"{k.removesuffix('_env_steps_per_second')} {v:.0f}"
                for k, v in r.items()
                if k.endswith("_env_steps_per_second")
            )
        cells.append(f"{r['env_id']}: {speeds}")
    return "env-steps/s: " + "; ".join(cells)


def cost_scaling_headline(p: dict[str, Any]) -> str:
    slopes = ", ".join(f"{s['label']} {s['slope_measured']:.2f}" for s in p["slopes"])
    return f"log-log slope of ms per call vs state dimension: {slopes}"


def simba_cost_headline(p: dict[str, Any]) -> str:
    r = max(p["rows"], key=lambda row: (row["critic_width"], row["critic_blocks"]))
    return (
        f"critic {r['critic_width']} x {r['critic_blocks']} blocks: {r['ours_ms']:.0f} ms per "
        f"update (sbx-rl {r['sbx_ms']:.0f} ms)"
    )


def h1_step_cost_headline(p: dict[str, Any]) -> str:
    return "CPU ms per control step: " + ", ".join(
        f"{s['env']} ({s['policy']}) {s['cpu_ms_per_step']:.2f}" for s in p["steps"]
    )


def balance_test_headline(p: dict[str, Any]) -> str:
    return "fraction of steps with the pole up: " + "; ".join(
        f"{r['policy']} {r['fraction_up']:.2f}" for r in p["results"]
    )


def expert_curves_headline(p: dict[str, Any]) -> str:
    return "best evaluation return: " + ", ".join(
        f"{e['env_id']} {e['best_eval_return']:.0f}" for e in p["experts"]
    )


def reward_estimator_headline(p: dict[str, Any]) -> str:
    """Speed-up of the fast estimator and its noise, at batch 256, for the first settings."""
    rows = [
        r
        for r in p["results"]
        if r.get("batch") == 256
        and r.get("noise_to_signal") is not None
        and r.get("speedup") == r.get("speedup")  # not NaN (rows timed without the naive one)
    ]
    return "fast vs naive estimator at batch 256: " + "; ".join(
        f"K={r['K']} {r['mode']} {r['speedup']:.1f}x, noise/signal {r['noise_to_signal']:.2f}"
        for r in rows[:4]
    )


HEADLINES: dict[str, Callable[[dict[str, Any]], str]] = {
    "sac_update": sac_update_headline,
    "throughput": throughput_headline,
    "cost_scaling": cost_scaling_headline,
    "simba_cost": simba_cost_headline,
    "h1_step_cost": h1_step_cost_headline,
    "balance_test": balance_test_headline,
    "expert_curves": expert_curves_headline,
    "reward_estimator": reward_estimator_headline,
}


def headline(benchmark: str, payload: dict[str, Any]) -> str:
    """The result's headline number, or "" where no reader knows its kind."""
    reader = report_headline if "table" in payload else HEADLINES.get(benchmark)
    if reader is None:
        return ""
    try:
        return reader(payload)
    except (KeyError, TypeError, ValueError, IndexError):
        return ""


def result_entry(benchmark: str, path: Path, siblings: list[Path], added: dict[str, str]) -> str:
    """One result JSON's line: its files, date, commit, command and headline."""
    payload = read_payload(path)
    prov = payload.get("provenance", payload)  # reward_diagnosis nests its provenance
    rel = path.relative_to(RESULTS).as_posix()
    stem = path.name.split(".")[0]
    others = sorted(
        s.name.removeprefix(stem) for s in siblings if s != path and s.name.split(".")[0] == stem
    )
    files = f"[`{rel}`]({rel})" + (f" (also `{'`, `'.join(others)}`)" if others else "")
    date = str(prov.get("date", ""))[:10] or "date not recorded"
    if prov.get("commit"):
        commit = f"commit {prov['commit']}"
    elif rel in added:
        commit = f"added in {added[rel]}"
    else:
        commit = "not committed yet"
    lines = [f"- {files}: {date}, {commit}"]
    command = prov.get("command") or (jsonl_comment(path) if path.suffix == ".jsonl" else "")
    if command:
        lines.append(f"  - command: `{short_command(str(command))}`")
    head = headline(benchmark, payload)
    md = path.with_suffix(".md")
    if head:
        lines.append(f"  - headline: {head}")
    elif md.exists():
        md_rel = md.relative_to(RESULTS).as_posix()
        lines.append(f"  - headline: see [`{md.name}`]({md_rel})")
    return "\n".join(lines)


def records_entry(folder: Path, prefix: str) -> list[str]:
    """The record sets under ``folder``/runs/ and the reports under ``folder``/archive/."""
    lines = []
    runs = folder / "runs"
    sets = sorted(p for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []
    if prefix:  # the top level's runs/ holds the records of several benchmarks
        sets = [s for s in sets if s.name == prefix]
    if sets:
        cells = []
        for s in sets:
            n = len([r for r in s.iterdir() if r.is_dir()])
            done = len([r for r in s.iterdir() if (r / "summary.json").exists()])
            count = f"{n} runs" + (f", {done} finished" if done != n else "")
            cells.append(f"[`{s.name}`]({s.relative_to(RESULTS).as_posix()}/) ({count})")
        lines.append("- run records: " + ", ".join(cells))
    archive = folder / "archive"
    if archive.is_dir() and not prefix:
        names = ", ".join(f"`{a.name}`" for a in sorted(archive.iterdir()))
        lines.append(f"- archived reports (runs rebuilt by benchmarks/archive.py): {names}")
    return lines


def benchmarks() -> list[tuple[str, Path, list[Path]]]:
    """(name, folder, result files) of every benchmark: each folder of results/ but runs/, and
    each TOP_LEVEL benchmark with its files at the top (prefixed by its name)."""
    found = []
    for folder in sorted(p for p in RESULTS.iterdir() if p.is_dir() and p.name != "runs"):
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "README.md")
        found.append((folder.name, folder, files))
    for name in TOP_LEVEL:  # listed even before they have results
        files = sorted(p for p in RESULTS.glob(f"{name}*") if p.is_file())
        found.append((name, RESULTS, files))
    return sorted(found)


def render() -> str:
    """The index's text."""
    added = added_commits()
    out = [
        "# Benchmark results",
        "",
        "Generated by `python benchmarks/results_index.py` from the folders beside this file; do",
        "not edit it by hand (tests/test_results_index.py checks that it is up to date). One",
        "folder per benchmark script (benchmarks/README.md says how to run each); the benchmarks",
        f"{', '.join(f'`{n}`' for n in TOP_LEVEL)} keep their files at the top of this folder",
        "(records in `runs/`) while grids in other worktrees write to them. Per result: its date",
        "and command as its JSON records them, the commit it records (or the commit that added",
        "it, for results made before the benchmarks recorded theirs), and a headline number. A",
        "learning report's headline is the late IQM: the interquartile mean over seeds of each",
        "seed's mean normalised return over the last fifth of its steps (smiling.report).",
        "",
    ]
    for name, folder, files in benchmarks():
        what, source = what_it_measures(name, folder)
        top = folder == RESULTS
        title = f"`{name}`" + (" (files at the top of results/)" if top else "")
        heading = f"## {title}" if top else f"## [{title}]({name}/)"
        out += [heading, "", what + (f" ({source})" if source else ""), ""]
        data = [f for f in files if f.suffix in DATA]
        if top and not files and not (RESULTS / "runs" / name).is_dir():
            out.append("- no results yet")
        for path in data:
            out.append(result_entry(name, path, files, added))
        covered = {f.name.split(".")[0] for f in data}
        rest = [f for f in files if f.name.split(".")[0] not in covered]
        if rest:
            names = ", ".join(f"`{f.name}`" for f in rest)
            out.append(f"- other files: {names}")
        subdirs = sorted(p.name for p in folder.iterdir() if p.is_dir()) if not top else []
        subdirs = [d for d in subdirs if d not in ("runs", "archive")]
        if subdirs:
            out.append("- folders: " + ", ".join(f"[`{d}/`]({name}/{d}/)" for d in subdirs))
        out += records_entry(folder, name if top else "")
        out.append("")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not INDEX.exists() or INDEX.read_text() != text:
            print(f"{INDEX} is out of date: run python benchmarks/results_index.py")
            sys.exit(1)
        return
    INDEX.write_text(text)
    print(f"wrote {INDEX}")


if __name__ == "__main__":
    main()
