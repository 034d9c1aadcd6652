"""Atomic, checksummed checkpoints of a run: ``RUN_DIR/checkpoint`` and ``checkpoint.old``.

A checkpoint is a folder of files (the agent state, the method's state, the replay) and a
``progress.json`` written last, holding the loop's counters and a SHA-256 of every file. A new
checkpoint is completed in ``checkpoint.tmp`` and swapped in with renames; the one it replaces
becomes ``checkpoint.old``. A kill at any moment leaves at least one complete checkpoint, and a
checkpoint damaged later still leaves the previous one to fall back on.

What goes *into* a checkpoint is the learner's business (:meth:`Learner.checkpoint_files`); this
module only knows folders, files and checksums.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smiling.errors import CheckpointError, SmilingError, warn
from smiling.io import atomic_write, write_json
from smiling.runs import CHECKPOINT, PREVIOUS_CHECKPOINT, RunDir

# A file of a checkpoint: its bytes, or a function that writes it to the path it is given.
FileContent = bytes | Callable[[Path], None]
PROGRESS = "progress.json"


class Checkpointer:
    """Writes and reads the checkpoints of the run directory ``path``."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        # Set when the newest checkpoint was unreadable and the previous one was restored: the
        # next save then replaces the damaged one and keeps checkpoint.old as the previous.
        self._newest_bad = False

    def save(self, files: dict[str, FileContent], progress: dict[str, Any]) -> None:
        """Write a complete checkpoint of ``files`` and ``progress`` and swap it in."""
        tmp, final = self.path / f"{CHECKPOINT}.tmp", self.path / CHECKPOINT
        old, trash = self.path / PREVIOUS_CHECKPOINT, self.path / f"{CHECKPOINT}.trash"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, content in files.items():
            if isinstance(content, bytes):
                atomic_write(tmp / name, lambda f, data=content: f.write(data))
            else:
                content(tmp / name)
        digests = {p.name: sha256(p) for p in sorted(tmp.iterdir())}
        write_json(tmp / PROGRESS, {**progress, "files": digests})
        shutil.rmtree(trash, ignore_errors=True)
        if final.exists():
            if self._newest_bad:
                final.rename(trash)  # damaged (resume skipped it): checkpoint.old stays previous
            else:
                if old.exists():
                    old.rename(trash)  # a rename, so checkpoint.old is never half-deleted
                final.rename(old)
        tmp.rename(final)
        self._newest_bad = False
        shutil.rmtree(trash, ignore_errors=True)

    def load(self, read: Callable[[Path, dict[str, Any]], None]) -> Path:
        """Call ``read(folder, progress)`` on the newest verified checkpoint; returns its folder.

        A checkpoint whose files are missing or fail their checksum, or that ``read`` cannot
        use (it raises :class:`CheckpointError`), is reported in one warning line and the
        previous one is tried; when none is usable, a :class:`SmilingError` says why.
        """
        folders = RunDir(self.path).checkpoints()
        if not folders:
            raise SmilingError(f"'{self.path}': no checkpoint to resume from")
        problems = []
        for i, folder in enumerate(folders):
            try:
                read(folder, verify(folder))
                self._newest_bad = i > 0
                return folder
            except CheckpointError as err:
                problems.append(str(err))
                if i + 1 < len(folders):
                    warn(f"{err}; using the previous checkpoint '{folders[i + 1]}'")
        raise SmilingError(f"'{self.path}': no usable checkpoint ({'; '.join(problems)})")


def verify(folder: Path) -> dict[str, Any]:
    """The checkpoint's ``progress.json`` after checking every file's checksum."""
    progress_path = folder / PROGRESS
    try:
        progress = json.loads(progress_path.read_text())
    except (OSError, ValueError) as err:
        raise CheckpointError(f"checkpoint file '{progress_path}' is unreadable ({err})") from None
    for name, digest in progress.get("files", {}).items():
        file = folder / name
        if not file.is_file():
            raise CheckpointError(f"checkpoint file '{file}' is missing")
        if sha256(file) != digest:
            raise CheckpointError(f"checkpoint file '{file}' is corrupted (checksum mismatch)")
    return progress


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
