"""A long-lived client against one simulated device: connect, pair, read, disconnect,
cycle after cycle. Does memory stay flat, and does every cycle succeed?

    .venv/bin/python bench/soak_bench.py [--cycles 10000]

One virtual target, one IQOS 3 DUO, one IqosClient for the whole run (its
transcript is bounded, so it must not grow with the cycles), on a session loop in
virtual time as the scenarios' is. Memory is the process's resident set, read
from /proc after a warm-up of WARM_UP cycles and at the end; the figure is its
growth per 100 cycles after the warm-up. Writes bench/results/soak.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.loop import SessionLoop  # noqa: E402
from harness.targets.virtual import VirtualTarget  # noqa: E402
from iqos.client import IqosClient  # noqa: E402
from iqos.models import load_models  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "soak.json"
WARM_UP = 2000
"""Cycles before memory counts: enough for the client's transcript to reach its bound
(KEPT_ENTRIES, a few entries a cycle) and for the allocator to settle."""


def resident_kib() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=10_000)
    args = parser.parse_args()
    if args.cycles <= WARM_UP:
        parser.error(f"--cycles must be more than the {WARM_UP} of the warm-up")
    model = load_models()["iqos-3-duo"]
    target = VirtualTarget()
    failures = 0
    with SessionLoop(virtual_time=True) as session:
        session.run(target.start())
        device = session.run(target.provide(model))
        client = IqosClient(device.address, model=model, **target.client_options())

        async def cycle() -> None:
            await client.pair()
            await client.battery()
            await client.disconnect()

        began = time.perf_counter()
        warm = 0
        for number in range(args.cycles):
            if number == WARM_UP:
                warm = resident_kib()
            try:
                session.run(cycle(), timeout=30)
            except Exception:
                failures += 1
        seconds = time.perf_counter() - began
        final = resident_kib()
        session.run(target.stop())
    per_100 = (final - warm) / ((args.cycles - WARM_UP) / 100)
    results = {
        "cycles": args.cycles,
        "failures": failures,
        "seconds": round(seconds, 1),
        "ms_per_cycle": round(seconds / args.cycles * 1000, 2),
        "rss_after_warm_up_kib": warm,
        "rss_at_end_kib": final,
        "rss_growth_kib_per_100_cycles": round(per_100, 2),
        "what": "one client, one device: pair (connect, pair or re-encrypt), battery read, "
        "disconnect, per cycle; virtual target, virtual time",
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
