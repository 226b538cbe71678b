"""What a feature run was, written beside its results: the report's environment.

Allure shows `environment.properties` on the report's front page. It names the
target, the models and their firmware, the radio stack's versions and the host,
because a red scenario means little without them, and it says when the run did
not finish. The record also keeps how many scenarios were selected, so a run
that stopped early can be told from one that ran everything.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

RUN_RECORD = "iqos-hil-run.json"
ENVIRONMENT = "environment.properties"
PACKAGES = ("bleak", "bumble", "bless", "pytest-bdd", "allure-pytest-bdd")


@dataclass
class RunRecord:
    target: str
    selected: int
    models: dict[str, str] = field(default_factory=dict)
    """Display name -> firmware, as far as the target knows it."""
    stopped_early: str = ""
    shard: str = field(default_factory=lambda: os.environ.get("IQOS_HIL_SHARD", ""))
    """`I/N` when guests share the run: each shard's record counts only its scenarios."""

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        return cls(**json.loads(text))

    def save(self, results: Path) -> None:
        results.mkdir(parents=True, exist_ok=True)
        (results / RUN_RECORD).write_text(json.dumps(asdict(self), indent=2))
        self.write_environment(results)

    def environment(self) -> dict[str, str]:
        entries = {
            "run": f"stopped early: {self.stopped_early}" if self.stopped_early else "complete",
            "target": self.target,
            "scenarios selected": (
                f"{self.selected} in shard {self.shard}" if self.shard else str(self.selected)
            ),
        }
        entries.update(self.models)
        entries.update({package: _version(package) for package in PACKAGES})
        entries["BlueZ"] = _bluez_version()
        entries["host"] = f"{platform.node()} ({platform.platform()})"
        entries["python"] = platform.python_version()
        return entries

    def write_environment(self, results: Path) -> None:
        lines = [f"{_escape(key)}={value}" for key, value in self.environment().items()]
        (results / ENVIRONMENT).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _escape(key: str) -> str:
    return key.replace(" ", "\\ ").replace("=", "\\=").replace(":", "\\:")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _bluez_version() -> str:
    bluetoothd = shutil.which("bluetoothd") or "/usr/libexec/bluetooth/bluetoothd"
    try:
        answer = subprocess.run(
            [bluetoothd, "--version"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    return answer.stdout.strip() or "unknown"
