"""The labgrid lane: every feature through labgrid, on a farm of simulated devices.

    python -m harness.farm.lane --results DIR [-- PYTEST ARGUMENTS]

Starts a labgrid coordinator and two exporters on 127.0.0.1 with one simulated
device of each model per exporter (harness.farm.simulated), then runs the main
job (`python -m harness.feature_job`) with `--target labgrid` on two xdist
workers, each a labgrid user reserving its own places; the operator is bound to
the simulators. The report is the main job's, in reports/html-labgrid. The farm
stops when the job ends, red or green, and the lane exits with the job's status.
DIR keeps the exporters' configuration, the coordinator's places and every log.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import yaml

from harness.farm.simulated import Bench, FarmStartError, SimulatedFarm

EXPORTERS = ("lane-a", "lane-b")
MODELS = ("iqos-2.4-plus", "iqos-3-duo", "iqos-3-multi")
WORKERS = 2
REPORTS = Path("reports")


async def lane(results: Path, pytest_arguments: list[str]) -> int:
    farm = SimulatedFarm(
        results / "farm", [Bench(exporter, model) for exporter in EXPORTERS for model in MODELS]
    )
    started = time.monotonic()
    await farm.start()
    try:
        print(
            f"labgrid lane: coordinator {farm.coordinator}, exporters {', '.join(EXPORTERS)}, "
            f"{len(farm.devices)} places ({time.monotonic() - started:.1f} s)",
            flush=True,
        )
        operator = results / "operator.yaml"
        operator.write_text(yaml.safe_dump({"simulator": [str(s) for s in farm.sockets]}))
        job = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "harness.feature_job",
            "--results", str(REPORTS / "allure-results-labgrid"),
            "--html", str(REPORTS / "html-labgrid"),
            "--junit", str(REPORTS / "junit-labgrid.xml"),
            "--history", str(REPORTS / "history-labgrid.jsonl"),
            "--", "-p", "no:labgrid", "features", "--target", "labgrid",
            "--operator", str(operator), "-n", str(WORKERS), *pytest_arguments,
            env={**os.environ, "LG_COORDINATOR": farm.coordinator},
        )  # fmt: skip
        return await job.wait()
    finally:
        await farm.stop()
        print(f"labgrid lane: {time.monotonic() - started:.1f} s in all", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.farm.lane", description=__doc__)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("pytest_arguments", nargs="*", metavar="-- PYTEST ARGUMENTS")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(lane(args.results, args.pytest_arguments))
    except FarmStartError as error:
        print(f"labgrid lane: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
