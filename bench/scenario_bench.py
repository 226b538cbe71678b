"""What the scenario layer costs: a Gherkin scenario against the same client calls
made directly, both on the virtual target, measured in one run.

    .venv/bin/python bench/scenario_bench.py [--rounds 40]

The scenario is the diagnostics outline ("An <model> with <fault>": pair, inject
a fault, read the diagnostics, check the finding and the advice), run by pytest
for every example row; its per-scenario time is pytest's (setup, call and
teardown of each test). The direct run does what that scenario does, through
the virtual target and IqosClient, ROUNDS times, with no pytest, pytest-bdd,
evidence or report, on a session loop in virtual time as the scenarios' is.
Prints both medians and their ratio, and writes bench/results/scenario.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.loop import SessionLoop  # noqa: E402
from harness.targets.virtual import VirtualTarget  # noqa: E402
from iqos.client import IqosClient  # noqa: E402
from iqos.models import load_models  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "scenario.json"
SELECTION = "test_an_model_with_fault"
FAULT = "charger_error_self_test_failure"


async def direct_rounds(rounds: int) -> list[float]:
    """The outline's work without the scenario layer: provide, pair, fault, diagnose."""
    target = VirtualTarget()
    model = load_models()["iqos-3-duo"]
    await target.start()
    seconds = []
    try:
        for _ in range(rounds):
            began = time.perf_counter()
            device = await target.provide(model)
            client = IqosClient(device.address, model=model, **target.client_options())
            await client.pair()
            await device.hands.inject(FAULT)
            report = await client.diagnostics()
            assert any(finding.code == FAULT for finding in report.findings)
            await target.release()
            await client.disconnect()
            seconds.append(time.perf_counter() - began)
    finally:
        await target.stop()
    return seconds


def scenario_times() -> list[float]:
    """Per-test seconds of the outline's examples, from pytest's JUnit XML."""
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "features",
             "--target", "virtual", "-k", SELECTION, "--junitxml", str(junit)],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        cases = ElementTree.parse(junit).getroot().iter("testcase")
        return [float(case.get("time", "0")) for case in cases]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    scenario = scenario_times()
    with SessionLoop(virtual_time=True) as session:
        direct = session.run(direct_rounds(args.rounds), timeout=600)
    results = {
        "scenario_ms": round(statistics.median(scenario) * 1000, 2),
        "direct_ms": round(statistics.median(direct) * 1000, 2),
        "scenarios": len(scenario),
        "rounds": args.rounds,
        "what": "median per scenario: the diagnostics outline under pytest-bdd against the "
        "same calls made directly (virtual target, one run)",
    }
    results["ratio"] = round(results["scenario_ms"] / results["direct_ms"], 2)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"scenario {results['scenario_ms']:.1f} ms, direct {results['direct_ms']:.1f} ms, "
        f"ratio {results['ratio']:.2f} ({len(scenario)} scenarios, {args.rounds} rounds)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
