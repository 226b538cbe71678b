"""The HTML report of a feature run: one self-contained page that opens from disk.

Uses Allure 3 from npm, installed into tools/allure on first use (and Node.js
from the distribution when the machine has none), so a fresh machine needs
nothing installed by hand. The page is Allure's single-file output: a report
split into JSON files cannot be opened with a double click, because browsers
refuse `fetch` from `file://`. History lives beside the report, not in it, so
that each run starts from an empty report folder and still shows what changed.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import webbrowser
from collections import Counter
from pathlib import Path
from typing import Any

from harness.report_categories import CATEGORIES
from harness.run_record import ENVIRONMENT
from iqos.protocol.documents import decode

ROOT = Path(__file__).resolve().parent.parent
ALLURE_DIR = ROOT / "tools" / "allure"
ALLURE_BIN = ALLURE_DIR / "node_modules" / ".bin" / "allure"
REPORT_NAME = "iqos-hil features"
KNOWN_ISSUES = ROOT / "features" / "known-issues.yaml"
HIDDEN_LABELS = ("thread", "framework", "language")
"""Labels allure-pytest-bdd adds that tell a scenario's reader nothing."""
PROPERTY_SEPARATOR = re.compile(r"(?<!\\)=")
"""Between a key and its value in environment.properties; a key escapes its own `=`."""


class ReportError(RuntimeError):
    """The report could not be rendered; the message says what is missing or wrong."""


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
            try:
                outcomes[json.loads(path.read_text()).get("status", "unknown")] += 1
            except ValueError:
                # Cut short by Ctrl-C while being written: that scenario did not finish.
                continue
    return outcomes


def known_issue_rules(path: Path) -> list[dict[str, Any]]:
    """Allure resolution rules from the project's known-issues file.

    Each entry names a scenario (`feature file:scenario title`, as the report's
    full name shows it) or a message pattern, and why the failure is known; the
    report then files such a failure as known instead of new.
    """
    if not path.exists():
        return []
    entries = decode(path.read_bytes(), path, ReportError) or []
    if not isinstance(entries, list):
        raise ReportError(f"{path}: expected a list of known issues")
    rules = []
    for number, entry in enumerate(entries, 1):
        where = f"{path}: entry {number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("reason"), str):
            raise ReportError(f"{where}: each entry needs a 'reason' (text)")
        unknown = set(entry) - {"scenario", "message", "reason"}
        if unknown:
            raise ReportError(f"{where}: unknown keys {sorted(unknown)}; use scenario, message")
        rule: dict[str, Any] = {"resolution": "accepted", "comment": entry["reason"]}
        if isinstance(entry.get("scenario"), str):
            rule["testCaseId"] = [hashlib.md5(entry["scenario"].encode()).hexdigest()]
        if isinstance(entry.get("message"), str):
            rule["messageRegexp"] = entry["message"]
        if len(rule) == 2:
            raise ReportError(f"{where}: name a 'scenario' or a 'message' pattern")
        rules.append(rule)
    return rules


def allure_config(output: Path, history: Path, known_issues: Path) -> dict[str, Any]:
    return {
        "name": REPORT_NAME,
        "output": str(output),
        "historyPath": str(history),
        "hideLabels": list(HIDDEN_LABELS),
        "categories": {"rules": CATEGORIES},
        "resolutions": {"rules": known_issue_rules(known_issues)},
        "plugins": {"awesome": {"options": {"singleFile": True, "reportName": REPORT_NAME}}},
    }


def render(
    given: list[Path],
    output: Path,
    history: Path | None = None,
    known_issues: Path = KNOWN_ISSUES,
) -> Path:
    """One report from one or more result folders (a sharded run writes one each).

    A shard that ran no scenario has none (a selection smaller than the shards), so
    only a run where no folder has results is refused. The output folder is emptied
    first: it holds this run's page and nothing older.
    """
    folders = [each for each in given if each.is_dir() and any(each.glob("*-result.json"))]
    if not folders:
        named = ", ".join(str(each) for each in given)
        raise ReportError(f"no allure results in {named}: did the feature run start?")
    allure = ensure_allure()
    output = output.resolve()
    history = (history or output.parent / f"{output.name}-history.jsonl").resolve()
    shutil.rmtree(output, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="iqos-hil-allure-") as work:
        merged = Path(work) / "allure-results"
        for folder in folders:
            shutil.copytree(folder, merged, dirs_exist_ok=True)
        if len(folders) > 1:
            (merged / ENVIRONMENT).write_text(merged_environment(folders), encoding="utf-8")
        config = Path(work) / "allurerc.json"
        config.write_text(json.dumps(allure_config(output, history, known_issues)))
        generated = subprocess.run(
            [str(allure), "generate", "--config", str(config), str(merged)],
            cwd=work,
            capture_output=True,
            text=True,
        )
        if generated.returncode != 0:
            raise ReportError(f"allure generate failed: {generated.stderr.strip()[-2000:]}")
    index = output / "index.html"
    if not index.exists():
        raise ReportError(f"allure generate wrote no {index}")
    return index


def merged_environment(folders: list[Path]) -> str:
    """The shards' environment.properties as one: a value they share once, and values
    that differ (each shard's selection, a guest's host name) side by side. Copied
    over each other, the last shard's would speak for the whole report."""
    values: dict[str, list[str]] = {}
    for folder in folders:
        path = folder / ENVIRONMENT
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        for line in lines:
            parts = PROPERTY_SEPARATOR.split(line, maxsplit=1)
            if len(parts) == 2:
                key, value = parts
                known = values.setdefault(key, [])
                if value not in known:
                    known.append(value)
    return "".join(f"{key}={'; '.join(each)}\n" for key, each in values.items())


def serve(folder: Path, port: int, open_browser: bool) -> None:
    """For people who prefer a server to a double click: the report on 127.0.0.1."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        print(f"report: serving {folder} at {url} (Ctrl-C stops)", flush=True)
        if open_browser:
            webbrowser.open(url)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness.report", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("render", help="render result folders into one page")
    make.add_argument("results", type=Path, nargs="+", help="allure result folders")
    make.add_argument("output", type=Path, help="report folder (emptied first)")
    make.add_argument("--history", type=Path, help="history file kept across runs")
    show = commands.add_parser("serve", help="serve a rendered report on 127.0.0.1")
    show.add_argument("folder", type=Path, nargs="?", default=ROOT / "reports" / "html")
    show.add_argument("--port", type=int, default=0, help="default: any free port")
    show.add_argument("--open", action="store_true", help="open it in the default browser")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        if not (args.folder / "index.html").exists():
            print(
                f"report: no report in {args.folder}: run python3 run.py features", file=sys.stderr
            )
            return 2
        serve(args.folder, args.port, args.open)
        return 0
    try:
        index = render(args.results, args.output, args.history)
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
