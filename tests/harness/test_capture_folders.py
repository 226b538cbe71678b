"""Killed runs leave no capture folders behind for long: the next run removes them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.targets.capture_folders import PREFIX, remove_orphaned_capture_folders


def test_folders_of_dead_runs_go_and_folders_of_live_runs_stay(tmp_path: Path) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    dead = tmp_path / f"{PREFIX}{finished.stdout.strip()}-abc"
    live = tmp_path / f"{PREFIX}1-abc"
    unrelated = tmp_path / f"{PREFIX}notapid"
    for folder in (dead, live, unrelated):
        folder.mkdir()
        (folder / "scenario-1.btsnoop").write_bytes(b"btsnoop\0")

    assert remove_orphaned_capture_folders(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and unrelated.exists()
