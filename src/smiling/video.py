"""Videos of evaluation episodes: MP4 (H.264 via the ffmpeg binary bundled in imageio-ffmpeg) or
GIF, chosen by the file's extension.

Frames come from ``env.render()`` (offscreen, see :mod:`smiling.envs`), so this works on a
CPU-only machine with no display. They are those of an evaluated episode
(:func:`smiling.evaluation.record_episodes`), which starts the policy afresh like any other, so
a video shows what evaluation scored. The file is written beside its final name and renamed, like
every other file a run writes.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from smiling.errors import SmilingError

FORMATS = (".mp4", ".gif")


def write_video(path: str | Path, frames: Sequence[np.ndarray], fps: float) -> Path:
    """Write ``frames`` (H x W x 3 uint8) to ``path`` (.mp4 or .gif); returns the path."""
    path = Path(path)
    if path.suffix not in FORMATS:
        raise SmilingError(f"{path}: video must end in one of {', '.join(FORMATS)}")
    if not frames:
        raise SmilingError(f"{path}: no frames to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        with _ffmpeg_quietly():
            _write(tmp, frames, fps)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _write(path: Path, frames: Sequence[np.ndarray], fps: float) -> None:
    import imageio.v2 as imageio

    if path.suffix == ".mp4":
        # H.264 needs even sizes: pad rather than let imageio rescale every frame.
        with imageio.get_writer(
            path, fps=fps, codec="libx264", macro_block_size=1, quality=7
        ) as writer:
            for frame in frames:
                writer.append_data(_even(np.asarray(frame, np.uint8)))
    else:
        imageio.mimsave(path, [np.asarray(f, np.uint8) for f in frames], duration=1000 / fps)


def read_video(path: str | Path) -> np.ndarray:
    """All frames of a video written by :func:`write_video`, as (T, H, W, 3) uint8."""
    import imageio.v2 as imageio

    try:
        with _ffmpeg_quietly():
            frames = imageio.mimread(path, memtest=False)
    except (OSError, ValueError, RuntimeError) as err:
        raise SmilingError(f"{path}: unreadable video ({err})") from None
    return np.stack([np.asarray(f)[..., :3] for f in frames])


@contextlib.contextmanager
def _ffmpeg_quietly() -> Iterator[None]:
    """JAX warns on any fork; imageio-ffmpeg's fork+exec of the ffmpeg binary is safe."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="os.fork", category=RuntimeWarning)
        yield


def _even(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
