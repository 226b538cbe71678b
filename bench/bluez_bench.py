"""Per-operation latency of the client on the bluez target against the virtual
target, in the same guest run, so the ratio is free of the emulation's speed.

    .venv/bin/python bench/bluez_bench.py [--rounds 20]

Boots a QEMU guest (harness.guest) with BlueZ and two controllers and runs
this file again inside it. There, for each target, ROUNDS times: a simulated
IQOS 3 DUO is provided, then the app scans until it finds it (in the target's scan
windows, as the app does), connects, pairs,
reads the battery and the status, runs the diagnostics, disconnects, and the
target releases it. Prints medians per operation and the bluez/virtual ratio,
and writes bench/results/bluez.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OPERATIONS = ("provide", "scan", "connect", "pair", "battery", "status", "diagnostics",
              "disconnect", "release")  # fmt: skip
MODEL = "iqos-3-duo"


async def one_round(target: Any, model: Any, record: dict[str, list[float]]) -> None:
    from iqos.client import IqosClient
    from iqos.discovery import discover

    async def timed(name: str, work: Callable[[], Awaitable[Any]]) -> Any:
        began = time.perf_counter()
        result = await work()
        record[name].append(time.perf_counter() - began)
        return result

    device = await timed("provide", lambda: target.provide(model))
    options = target.client_options()
    wanted = device.address.upper()
    found = await timed(
        "scan", lambda: discover(10.0, until=lambda seen: wanted in seen, **options)
    )
    if not any(each.address.upper() == wanted for each in found):
        raise RuntimeError(f"{device.label} was not found by a 10 s scan")
    client = IqosClient(device.address, model=model, **options)
    await timed("connect", client.connect)
    await timed("pair", client.pair)
    await timed("battery", client.battery)
    await timed("status", client.status)
    await timed("diagnostics", client.diagnostics)
    await timed("disconnect", client.disconnect)
    await timed("release", target.release)


async def measure(target_name: str, rounds: int) -> dict[str, list[float]]:
    from harness.targets.registry import TargetOptions, build
    from iqos.models import load_models

    target = build(target_name, TargetOptions())
    model = load_models()[MODEL]
    record: dict[str, list[float]] = {name: [] for name in OPERATIONS}
    await target.start()
    try:
        for number in range(1, rounds + 1):
            print(f"{target_name}: round {number}", flush=True)
            await one_round(target, model, record)
    finally:
        await target.stop()
    return record


def in_guest(rounds: int) -> int:
    results: dict[str, Any] = {}
    for target in ("virtual", "bluez"):
        record = asyncio.run(measure(target, rounds))
        results[target] = {
            name: round(statistics.median(v) * 1000, 2) for name, v in record.items()
        }
    results["ratio"] = {
        name: round(results["bluez"][name] / results["virtual"][name], 1)
        for name in OPERATIONS
        if results["virtual"][name] > 0
    }
    out = Path(os.environ["IQOS_GUEST_RESULTS"]) / "bluez_bench.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def on_host(rounds: int) -> int:
    folder = ROOT / "reports" / "guest-bench"
    done = subprocess.run(
        [sys.executable, "-m", "harness.guest", "run", "--controllers", "2", "--results",
         str(folder), "--", sys.executable, __file__, "--rounds", str(rounds)],
        cwd=ROOT, check=False,
    )  # fmt: skip
    measured = folder / "bluez_bench.json"
    if done.returncode != 0 or not measured.exists():
        print(f"bench failed (exit {done.returncode}); see {folder}", file=sys.stderr)
        return 1
    results = json.loads(measured.read_text())
    print(f"{'operation':<12} {'virtual ms':>11} {'bluez ms':>9} {'ratio':>6}")
    for name in OPERATIONS:
        print(
            f"{name:<12} {results['virtual'][name]:>11.1f} {results['bluez'][name]:>9.1f} "
            f"{results['ratio'].get(name, float('nan')):>6.1f}"
        )
    results["setup"] = {
        "rounds": rounds,
        "model": MODEL,
        "where": "QEMU guest (TCG, 2 vCPUs), BlueZ 5.66, btvirt LE-only controllers",
        "host": platform.platform(),
        "unit": "median milliseconds per operation; ratio = bluez / virtual",
    }
    (ROOT / "bench" / "results" / "bluez.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if os.environ.get("IQOS_HIL_IN_GUEST") == "1":
        return in_guest(args.rounds)
    return on_host(args.rounds)


if __name__ == "__main__":
    sys.exit(main())
