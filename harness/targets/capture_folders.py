"""Where the virtual target keeps each scenario's btsnoop capture while it runs.

A folder per run, named after the process that owns it. A run killed before it
could clean up leaves its folder behind; the next run removes every folder whose
owner is gone, so killed runs do not pile up in the temporary directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "iqos-hil-btsnoop-"


def new_capture_folder() -> tempfile.TemporaryDirectory[str]:
    remove_orphaned_capture_folders()
    return tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-")


def remove_orphaned_capture_folders(parent: Path | None = None) -> list[Path]:
    removed = []
    for folder in (parent or Path(tempfile.gettempdir())).glob(f"{PREFIX}*-*"):
        owner = folder.name[len(PREFIX) :].partition("-")[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
