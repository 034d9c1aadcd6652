"""Provenance shared by every benchmark: machine, versions, date, command."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from smiling.io import package_versions
from smiling.report import write_report

RESULTS = Path(__file__).parent / "results"


def machine_info() -> dict:
    """CPU model, core count and platform, read the way benchmarks.md asks (lscpu)."""
    model = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except FileNotFoundError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "platform": platform.platform()}


def provenance() -> dict:
    return {
        "machine": machine_info(),
        "versions": package_versions(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
    }


def report_runs(dirs: Sequence[Path], stem: str, note: str) -> dict:
    """``smiling report`` on ``dirs`` into results/<stem>.{png,md,csv,json}, with provenance;
    returns the JSON payload."""
    payload = write_report(dirs, RESULTS, stem=stem, extra={**provenance(), "note": note})
    for row in payload["table"]:
        print(json.dumps({k: v for k, v in row.items() if k != "run_dirs"}))
    return payload
