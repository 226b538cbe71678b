"""The README's two commands: `python3 run.py features` and `python3 run.py tests`.

Needs only python3. It makes a private virtual environment in .venv, puts tox
and the project (with its `iqos-hil` and `iqos-sim` commands) in it, and hands
over to tox, which installs everything else per environment. Arguments after
`--` go to pytest: `python3 run.py features -- -k pairing -n 2`.
`python3 run.py report [--open]` serves the last report for those who prefer a
server to opening reports/html/index.html from disk.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
TOX_REQUIREMENTS = ("tox>=4.20,<5", "tox-uv>=1.11,<2")
"""tox-uv makes tox build its environments with uv: eight of them, installed in
about a second each instead of 10 to 14 s with pip (docs/speed.md)."""
JOBS = {
    "features": ["-e", "features"],
    "tests": ["-e", "tests,lint,type,steps"],
    "labgrid": ["-e", "labgrid"],
    "bluez": ["-e", "bluez"],
    "rehearsal": ["-e", "rehearsal"],
}
REPORT_JOB = "report"


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


def _uv() -> Path:
    return VENV / ("Scripts/uv.exe" if os.name == "nt" else "bin/uv")


def _pip_install(*requirements: str) -> None:
    subprocess.run(
        [
            str(_python()),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            *requirements,
        ],
        check=True,
        cwd=ROOT,
    )


def _ensure_tools() -> None:
    """tox, and the project itself (with the step library's pytest-bdd, which `iqos-hil
    steps` and `lint` read) so that .venv/bin/iqos-hil and iqos-sim exist; the
    project again whenever pyproject.toml changed, so a new dependency arrives."""
    _pip_install(*TOX_REQUIREMENTS)
    project = f"{ROOT}[test]"
    declared = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + project.encode())
    stamp = VENV / "iqos-hil-installed"
    if stamp.exists() and stamp.read_text() == declared.hexdigest():
        return
    # uv came with tox-uv; it installs the project's dependencies in seconds, pip in 20.
    subprocess.run(
        [str(_uv()), "pip", "install", "-q", "--python", str(_python()), "-e", project],
        check=True,
        cwd=ROOT,
    )
    stamp.write_text(declared.hexdigest())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in (*JOBS, REPORT_JOB):
        print(
            f"usage: python3 run.py {{{','.join((*JOBS, REPORT_JOB))}}} [-- pytest arguments]",
            file=sys.stderr,
        )
        return 2
    _ensure_venv()
    _ensure_tools()
    job, rest = argv[0], argv[1:]
    if job == REPORT_JOB:
        command = [str(_python()), "-m", "harness.report", "serve", *rest]
        return subprocess.run(command, cwd=ROOT).returncode
    pytest_arguments = rest[1:] if rest[:1] == ["--"] else rest
    command = [str(_python()), "-m", "tox", *JOBS[job]]
    if pytest_arguments:
        command += ["--", *pytest_arguments]
    return subprocess.run(command, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
