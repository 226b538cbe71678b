"""How long the virtual feature suite takes and how much of that is waiting: wall time
against CPU time, with the session loop in virtual time and, in the same run, in real
time (before virtual time, `--real-time`), in one process and with `-n 2`.

    .venv/bin/python bench/suite_bench.py [--rounds 3]

Each run is `pytest features --target virtual` in a child process, from its start to
its exit (imports and collection included, as a person waits for them). Its CPU time is
user plus system time of the child and the xdist workers it reaped, from
getrusage(RUSAGE_CHILDREN). The three runs alternate within each round, so a change
in the machine's load hits them alike; every ratio is taken within one round, and the
figures are medians over the rounds. Prints them, checks them against issue 19's goals
(reported, not asserted: this is a benchmark) and writes bench/results/suite.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "suite.json"
SUITE = ["-m", "pytest", "-p", "no:cacheprovider", "-q", "features", "--target", "virtual"]
RUNS = {
    "real_time": ["--real-time"],
    "virtual_time": [],
    "virtual_time_n2": ["-n", "2"],
}
GOALS = {
    "wall at most 1.2x CPU, one process": ("virtual_time", "wall_per_cpu", 1.2),
    "at most 15 s, one process": ("virtual_time", "wall_s", 15.0),
    "at most 9 s, -n 2": ("virtual_time_n2", "wall_s", 9.0),
}


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    scenarios: int

    @property
    def wall_per_cpu(self) -> float:
        return self.wall_s / self.cpu_s

    @property
    def scenarios_per_s(self) -> float:
        return self.scenarios / self.wall_s


def run_suite(extra: list[str]) -> Run:
    """One whole run; a failing suite stops the bench, as its times would mean nothing."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    answer = subprocess.run(
        [sys.executable, *SUITE, *extra], cwd=ROOT, capture_output=True, text=True
    )
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if answer.returncode != 0:
        sys.exit(f"the suite failed ({' '.join(extra) or 'virtual time'}):\n{answer.stdout}")
    counts = re.findall(r"(\d+) (?:passed|skipped|xfailed)", answer.stdout.splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall_s=wall, cpu_s=cpu, scenarios=sum(int(count) for count in counts))


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds: list[dict[str, Run]] = []
    for number in range(1, args.rounds + 1):
        rounds.append({name: run_suite(extra) for name, extra in RUNS.items()})
        print(
            f"round {number}: "
            + ", ".join(f"{name} {run.wall_s:.1f} s" for name, run in rounds[-1].items())
        )
    runs = {
        name: {
            "wall_s": median([r[name].wall_s for r in rounds]),
            "cpu_s": median([r[name].cpu_s for r in rounds]),
            "wall_per_cpu": median([r[name].wall_per_cpu for r in rounds]),
            "scenarios_per_s": median([r[name].scenarios_per_s for r in rounds]),
        }
        for name in RUNS
    }
    ratios = {
        "real_over_virtual_wall": median(
            [r["real_time"].wall_s / r["virtual_time"].wall_s for r in rounds]
        ),
        "n2_speedup": median(
            [r["virtual_time"].wall_s / r["virtual_time_n2"].wall_s for r in rounds]
        ),
    }
    goals = {
        goal: {"figure": runs[run][figure], "at_most": limit, "met": runs[run][figure] <= limit}
        for goal, (run, figure, limit) in GOALS.items()
    }
    results = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
        },
        "rounds": args.rounds,
        "scenarios": rounds[0]["virtual_time"].scenarios,
        "runs": runs,
        "commands": {name: " ".join(["python", *SUITE, *extra]) for name, extra in RUNS.items()},
        "ratios": ratios,
        "goals": goals,
        "every_round": [{name: asdict(run) for name, run in r.items()} for r in rounds],
        "what": "the virtual feature suite from a child's start to its exit; medians over "
        "rounds, each ratio taken within a round",
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for name, run in runs.items():
        print(
            f"{name:<16} wall {run['wall_s']:6.2f} s  CPU {run['cpu_s']:6.2f} s  "
            f"wall/CPU {run['wall_per_cpu']:.2f}  {run['scenarios_per_s']:.1f} scenarios/s"
        )
    print(
        f"real time / virtual time, wall: {ratios['real_over_virtual_wall']:.2f}x; "
        f"-n 2 speedup: {ratios['n2_speedup']:.2f}x"
    )
    for goal, outcome in goals.items():
        print(f"goal {goal}: {outcome['figure']} ({'met' if outcome['met'] else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
