"""Render the allure results of a feature run into an HTML report.

Uses Allure 3 from npm, installed into tools/allure on first use (and Node.js
from the distribution when the machine has none), so a fresh machine needs
nothing installed by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLURE_DIR = ROOT / "tools" / "allure"
ALLURE_BIN = ALLURE_DIR / "node_modules" / ".bin" / "allure"


class ReportError(RuntimeError):
    """The report could not be rendered; the message says which tool is missing."""


def _ensure_node() -> None:
    if shutil.which("npm") and shutil.which("node"):
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise ReportError("rendering the report needs Node.js and npm: install them and re-run")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nodejs", "npm"], check=True)


def ensure_allure() -> Path:
    if ALLURE_BIN.exists():
        return ALLURE_BIN
    _ensure_node()
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=ALLURE_DIR,
        check=True,
    )
    if not ALLURE_BIN.exists():
        raise ReportError(f"npm finished but {ALLURE_BIN} is missing")
    return ALLURE_BIN


def summarize(folders: list[Path]) -> Counter[str]:
    """Count scenario outcomes from the result files, the way the report will show them."""
    outcomes: Counter[str] = Counter()
    for folder in folders:
        for path in folder.glob("*-result.json"):
            outcomes[json.loads(path.read_text()).get("status", "unknown")] += 1
    return outcomes


def render(folders: list[Path], output: Path) -> Path:
    """One report from one or more result folders (a sharded run writes one each)."""
    for folder in folders:
        if not folder.is_dir() or not any(folder.glob("*-result.json")):
            raise ReportError(f"no allure results in {folder}: did the feature run start?")
    allure = ensure_allure()
    with tempfile.TemporaryDirectory(prefix="iqos-hil-allure-") as merged:
        for folder in folders:
            shutil.copytree(folder, merged, dirs_exist_ok=True)
        subprocess.run(
            [
                str(allure),
                "generate",
                merged,
                "--output",
                str(output),
                "--report-name",
                "iqos-hil features",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    index = output / "index.html"
    if not index.exists():
        raise ReportError(f"allure generate wrote no {index}")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", type=Path, nargs="+", help="allure result folders")
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    try:
        index = render(args.results, args.output)
    except (ReportError, subprocess.CalledProcessError) as error:
        print(f"report: {error}", file=sys.stderr)
        return 1
    counts = ", ".join(
        f"{count} {status}" for status, count in sorted(summarize(args.results).items())
    )
    print(f"report: {index} ({counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
