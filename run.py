"""The README's two commands: `python3 run.py features` and `python3 run.py tests`.

Needs only python3. It makes a private virtual environment in .venv, puts tox
in it, and hands over to tox, which installs everything else per environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
TOX_REQUIREMENT = "tox>=4.20,<5"
JOBS = {
    "features": ["-e", "features"],
    "tests": ["-e", "tests,lint,type,steps"],
    "bluez": ["-e", "bluez"],
    "rehearsal": ["-e", "rehearsal"],
}


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _ensure_venv() -> None:
    if _python().exists():
        return
    try:
        venv.EnvBuilder(with_pip=True).create(VENV)
    except (OSError, subprocess.CalledProcessError):
        shutil.rmtree(VENV, ignore_errors=True)
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            sys.exit("python3 cannot create a virtual environment: install python3-venv")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "python3-venv"], check=True)
        venv.EnvBuilder(with_pip=True).create(VENV)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in JOBS:
        print(f"usage: python3 run.py {{{','.join(JOBS)}}} [-- extra tox arguments]")
        return 2
    _ensure_venv()
    subprocess.run(
        [
            str(_python()),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            TOX_REQUIREMENT,
        ],
        check=True,
    )
    extra = argv[2:] if len(argv) > 1 and argv[1] == "--" else argv[1:]
    command = [str(_python()), "-m", "tox", *JOBS[argv[0]], *extra]
    return subprocess.run(command, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
