"""Provenance shared by every benchmark: machine, versions, date, command."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys

from smiling.io import package_versions


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
