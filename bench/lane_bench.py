"""The bluez lane against the virtual lane, per scenario, in one guest run; and with
`--hog`, the bluez lane with a CPU hog on one of the host's cores against without.

    .venv/bin/python bench/lane_bench.py [--hog] [-m MARKERS] [-k EXPR] [--every N]

Boots a QEMU guest (harness.guest, one guest with the runner's default vCPUs) and
runs the same scenarios there twice, one pytest session after the other: on the
virtual target (virtual time, as the virtual lane runs) and on the bluez target.
Both sessions run in the same guest at the same time of day, so the ratio is of
the lanes, not of the machine's mood. The per-scenario times are the guest's
progress lines (`harness.guest.pytest_progress`: from a scenario's start to its
end, setup and teardown included), read from the run's summary.json.

With `--hog`, a second guest runs the bluez session alone while a busy loop,
pinned to the host's first core, runs beside it; the ratio to the first guest's
bluez session is the lane's slowdown under that load.

Prints per scenario and in total, and writes bench/results/lane.json with the
host's load average before and after each guest: the machine is shared, so the
figures say how busy it was.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "lane.json"
FOLDER = ROOT / "reports" / "guest-lane-bench"
#: Scenarios of pairing, battery, diagnostics and reset on one model: about thirty,
#: of which about twenty run on the bluez target (the lane skips the rest, with the
#: reason), of every kind the lane runs.
MARKERS = "pairing or battery or diagnostics or reset"
SELECTION = "DUO and not with_fault and not several and not selected"
EVERY = 1
#: As `tox -e bluez` sets it (tox.ini): hypothesis' plugin costs the guest seconds.
LANE_ADDOPTS = "-p no:hypothesispytest"


def pytest_command(target: str, markers: str, selection: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "features",
            "--target", target, "-m", markers, "-k", selection]  # fmt: skip


def in_guest(targets: list[str], markers: str, selection: str, every: int) -> int:
    """One pytest session per target, one after the other, the same scenarios."""
    environ = {**os.environ, "IQOS_HIL_SHARD": f"0/{every}"}
    worst = 0
    for target in targets:
        done = subprocess.run(pytest_command(target, markers, selection), env=environ, check=False)
        worst = max(worst, done.returncode)
    return worst


@contextmanager
def hog(core: int) -> Iterator[None]:
    """A busy loop pinned to one host core, for as long as the block runs."""
    loop = f"import os\nos.sched_setaffinity(0, {{{core}}})\nwhile True:\n    pass\n"
    process = subprocess.Popen([sys.executable, "-c", loop])
    try:
        yield
    finally:
        process.kill()
        process.wait()


def boot(name: str, targets: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """One guest running the sessions; its scenarios' seconds per target."""
    folder = FOLDER / name
    load_before = os.getloadavg()
    done = subprocess.run(
        [sys.executable, "-m", "harness.guest", "run", "--controllers", "2", "--results",
         str(folder), "--", sys.executable, __file__, "--in-guest", "--targets", ",".join(targets),
         "-m", args.m, "-k", args.k, "--every", str(args.every)],
        cwd=ROOT, check=False, env={**os.environ, "PYTEST_ADDOPTS": LANE_ADDOPTS},
    )  # fmt: skip
    summary_file = folder / "summary.json"
    if not summary_file.exists():
        raise SystemExit(
            f"the {name} guest left no summary.json (exit {done.returncode}); see {folder}"
        )
    summary = json.loads(summary_file.read_text())
    sessions: dict[str, dict[str, float]] = {target: {} for target in targets}
    outcomes: dict[str, dict[str, str]] = {target: {} for target in targets}
    for scenario in summary["scenarios"]:
        target = targets[scenario["session"] - 1]
        sessions[target][scenario["name"]] = scenario["seconds"]
        outcomes[target][scenario["name"]] = scenario["outcome"]
    return {
        "exit_code": done.returncode,
        "problem": summary["problem"],
        "slowness": summary["slowness"],
        "wall_seconds": summary["wall_seconds"],
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "seconds": sessions,
        "outcomes": outcomes,
    }


def ratios(upper: dict[str, float], lower: dict[str, float]) -> dict[str, float]:
    """Per scenario that both ran (and took time), upper over lower."""
    return {
        name: round(upper[name] / lower[name], 2)
        for name in upper
        if name in lower and lower[name] > 0
    }


def ran(run: dict[str, Any], target: str) -> dict[str, float]:
    """The scenarios that ran (not skipped) on `target`, and their seconds."""
    return {
        name: seconds
        for name, seconds in run["seconds"][target].items()
        if run["outcomes"][target][name] != "skipped"
    }


def total(seconds: dict[str, float], names: list[str]) -> float:
    return round(sum(seconds[name] for name in names), 2)


def on_host(args: argparse.Namespace) -> int:
    quiet = boot("quiet", ["virtual", "bluez"], args)
    virtual, bluez = ran(quiet, "virtual"), ran(quiet, "bluez")
    per_scenario = ratios(bluez, virtual)
    both = sorted(per_scenario)
    results: dict[str, Any] = {
        "setup": {
            "markers": args.m,
            "selection": args.k,
            "every": args.every,
            "where": "one QEMU guest (TCG, the runner's default vCPUs), BlueZ 5.66, btvirt",
            "host": platform.platform(),
            "cpus": os.cpu_count(),
            "unit": "seconds per scenario, start to end (setup and teardown included)",
            "note": "machine shared with other work while measured: see the load averages",
        },
        "quiet": quiet,
        "bluez_over_virtual": {
            "per_scenario": per_scenario,
            "median": round(statistics.median(per_scenario.values()), 2) if both else None,
            "total": round(total(bluez, both) / total(virtual, both), 2) if both else None,
        },
    }
    print(f"{'scenario':<90} {'virtual s':>9} {'bluez s':>8} {'ratio':>6}")
    for name in both:
        print(
            f"{name[:90]:<90} {virtual[name]:>9.2f} {bluez[name]:>8.2f} {per_scenario[name]:>6.1f}"
        )
    summary = results["bluez_over_virtual"]
    print(f"bluez / virtual: median {summary['median']}, total {summary['total']} "
          f"({len(both)} scenarios; load average {quiet['load_average_before']})")  # fmt: skip
    if args.hog:
        with hog(core=0):
            loaded = boot("hog", ["bluez"], args)
        hogged = ran(loaded, "bluez")
        under_hog = ratios(hogged, bluez)
        common = sorted(under_hog)
        results["hog"] = loaded
        results["hog_over_quiet"] = {
            "per_scenario": under_hog,
            "median": round(statistics.median(under_hog.values()), 2) if common else None,
            "total": round(total(hogged, common) / total(bluez, common), 2) if common else None,
        }
        hog_summary = results["hog_over_quiet"]
        print(f"bluez with a hog on core 0 / without: median {hog_summary['median']}, total "
              f"{hog_summary['total']} ({len(common)} scenarios; "
              f"load average {loaded['load_average_before']})")  # fmt: skip
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    failed = quiet["exit_code"] != 0 or (args.hog and results["hog"]["exit_code"] != 0)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hog", action="store_true", help="also run bluez with a CPU hog")
    parser.add_argument("-m", default=MARKERS, help=f"pytest markers (default: {MARKERS})")
    parser.add_argument("-k", default=SELECTION, help=f"pytest -k (default: {SELECTION})")
    parser.add_argument("--every", type=int, default=EVERY, help="keep every Nth scenario")
    parser.add_argument("--in-guest", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--targets", default="virtual,bluez", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.every < 1:
        parser.error("--every: at least 1")
    if args.in_guest:
        return in_guest(args.targets.split(","), args.m, args.k, args.every)
    return on_host(args)


if __name__ == "__main__":
    sys.exit(main())
