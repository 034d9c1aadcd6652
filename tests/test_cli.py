"""The command line: user errors exit non-zero with one line and no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import make_demos

from smiling.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smiling.cli", *args], capture_output=True, text=True, timeout=None
    )


def test_unknown_env_exits_cleanly(tmp_path):
    result = run_cli(
        "expert", "--env", "NoSuchEnv-v3", "--steps", "10", "--out", str(tmp_path / "e")
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "unknown environment 'NoSuchEnv-v3'" in result.stderr
    assert "dmc:<domain>-<task>" in result.stderr


@pytest.mark.parametrize(
    "content, message",
    [(None, "does not exist"), (b"not a zip", "not a .npz archive"), (b"PK\x03\x04abc", "npz")],
)
def test_info_bad_files(tmp_path, capsys, content, message):
    path = tmp_path / "demos.npz"
    if content is not None:
        path.write_bytes(content)
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err and err.count("\n") == 1


def test_info_valid_file(tmp_path, capsys):
    path = tmp_path / "d.npz"
    make_demos().save(path)
    assert main(["info", str(path)]) == 0
    assert "Pendulum-v1" in capsys.readouterr().out


def test_demos_missing_expert(tmp_path, capsys):
    assert main(["demos", "--expert", str(tmp_path), "--episodes", "1", "--out", "x.npz"]) == 2
    assert "has no config.json" in capsys.readouterr().err


def test_demos_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "d.npz"
    out.write_bytes(b"precious")
    assert main(["demos", "--expert", str(tmp_path), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"


def test_expert_refuses_existing_dir_and_missing_checkpoint(tmp_path, capsys):
    out = tmp_path / "exp"
    out.mkdir()
    (out / "config.json").write_text("{}")
    assert main(["expert", "--env", "Pendulum-v1", "--steps", "10", "--out", str(out)]) == 2
    assert "already holds an expert" in capsys.readouterr().err
    empty = tmp_path / "empty"
    args = ["expert", "--env", "Pendulum-v1", "--steps", "10", "--out", str(empty), "--resume"]
    assert main(args) == 2
    assert "no checkpoint" in capsys.readouterr().err


def test_info_without_rewards_or_returns(tmp_path, capsys):
    import dataclasses

    path = tmp_path / "bare.npz"
    dataclasses.replace(make_demos(), rewards=None, expert_return=None, random_return=None).save(
        path
    )
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "episode returns: unknown (no rewards)" in out
    assert "expert / random: unknown / unknown" in out
