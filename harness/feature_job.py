"""The main job: run the features on a target, then always render the report.

A red run is when the report matters most, so the report is rendered whatever
pytest returned, and the job then returns pytest's own status. The result and
report folders are emptied first: nothing in them is older than this run. A
run that stopped early (Ctrl-C, a crash) says so in the report and in the
summary line, with how many scenarios never ran.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from harness.report import ReportError, render, summarize
from harness.run_record import RUN_RECORD, RunRecord

NOTHING_RAN = (4, 5)
"""pytest's exit statuses for a usage error and for no scenario selected: no run to
call incomplete."""


def run_pytest(results: Path, junit: Path, arguments: list[str]) -> int:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--alluredir",
        str(results),
        "--junitxml",
        str(junit),
        *arguments,
    ]
    pytest = subprocess.Popen(command)
    while True:
        try:
            return pytest.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached pytest too: let it write the results it has, rather
            # than kill it as subprocess.run would, so the report shows them.
            continue


def mark_incomplete(results: Path, outcomes: Counter[str]) -> int:
    """How many selected scenarios left no result; the report's front page says it."""
    record_path = results / RUN_RECORD
    if not record_path.exists():
        return 0
    record = RunRecord.from_json(record_path.read_text())
    missing = max(record.selected - sum(outcomes.values()), 0)
    if missing:
        record.stopped_early = f"{missing} of {record.selected} scenarios did not run"
        record.write_environment(results)
    return missing


def summary_line(outcomes: Counter[str], missing: int, index: Path | None) -> str:
    counts = ", ".join(
        f"{outcomes.get(status, 0)} {status}"
        for status in ("passed", "failed", "broken", "skipped")
    )
    if missing:
        counts += f", {missing} not run (the run stopped early)"
    where = f"report: {index}" if index else "no report"
    return f"features: {counts}; {where}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.feature_job", description=__doc__)
    parser.add_argument("--results", type=Path, default=Path("reports/allure-results"))
    parser.add_argument("--html", type=Path, default=Path("reports/html"))
    parser.add_argument("--junit", type=Path, default=Path("reports/junit.xml"))
    parser.add_argument("--history", type=Path, default=Path("reports/history.jsonl"))
    parser.add_argument("pytest_arguments", nargs=argparse.REMAINDER, help="-- then pytest's")
    args = parser.parse_args(argv)
    arguments = args.pytest_arguments
    if arguments[:1] == ["--"]:
        arguments = arguments[1:]

    shutil.rmtree(args.results, ignore_errors=True)
    shutil.rmtree(args.html, ignore_errors=True)
    status = run_pytest(args.results, args.junit, arguments)

    outcomes = summarize([args.results]) if args.results.is_dir() else Counter[str]()
    ran = args.results.is_dir() and status not in NOTHING_RAN
    missing = mark_incomplete(args.results, outcomes) if ran else 0
    index: Path | None = None
    try:
        index = render([args.results], args.html, args.history)
    except (ReportError, OSError) as error:
        print(f"report: {error}", file=sys.stderr)
        if status == 0:
            status = 1
    print(summary_line(outcomes, missing, index), flush=True)
    if index is not None:
        print(
            "open it with a double click, or: "
            f"python3 run.py report {args.html} --open ({index.as_uri()})"
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
