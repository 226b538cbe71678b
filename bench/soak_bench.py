"""A long-lived client against one simulated device: connect, pair, read, disconnect,
cycle after cycle. Does memory stay flat, and does every cycle succeed?

    .venv/bin/python bench/soak_bench.py [--cycles 10000] [--collect]

One virtual target, one IQOS 3 DUO, one IqosClient for the whole run (its
transcript is bounded, so it must not grow with the cycles), on a session loop in
virtual time as the scenarios' is. Two figures after a warm-up of WARM_UP cycles:

- resident memory, read from /proc every MARK_EVERY cycles: what the process costs,
  the allocator's high-water mark included; its growth per 100 cycles from the
  warm-up on, and from the middle of the run on (the steady state, once the
  collector's first full passes have set the high-water mark);
- live memory: the allocator's blocks in use after a full collection, at the end of
  the warm-up and at the end. A leak grows this; the garbage a connection leaves in
  reference cycles (bumble's and bleak's, docs/reliability.md) does not. (Counting
  the collector's objects would take a list of them all, half a megabyte, which
  itself moves resident memory by hundreds of KiB.)

`--collect` runs a full collection after every cycle, so that each connection's
garbage goes at once instead of at the collector's next full pass: the control
that tells a leak (grows either way) from the high-water mark of uncollected
garbage (flat with it). Writes bench/results/soak.json (soak-collect.json with
`--collect`).
"""

from __future__ import annotations

import argparse
import gc
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

RESULTS = ROOT / "bench" / "results"
WARM_UP = 2000
"""Cycles before memory counts: enough for the client's transcript to reach its bound
(KEPT_ENTRIES, a few entries a cycle) and for the allocator to settle."""
MARK_EVERY = 1000
"""Cycles between two readings of resident memory, which show where it levels off."""


def resident_kib() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def live_blocks() -> int:
    """Blocks the allocator holds once garbage is gone."""
    gc.collect()
    return sys.getallocatedblocks()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=10_000)
    parser.add_argument(
        "--collect", action="store_true", help="a full garbage collection after every cycle"
    )
    args = parser.parse_args()
    if args.cycles <= WARM_UP:
        parser.error(f"--cycles must be more than the {WARM_UP} of the warm-up")
    model = load_models()["iqos-3-duo"]
    target = VirtualTarget()
    failures = 0
    marks: dict[int, int] = {}
    with SessionLoop(virtual_time=True) as session:
        session.run(target.start())
        device = session.run(target.provide(model))
        client = IqosClient(device.address, model=model, **target.client_options())

        async def cycle() -> None:
            await client.pair()
            await client.battery()
            await client.disconnect()

        began = time.perf_counter()
        warm_blocks = 0
        for number in range(args.cycles):
            if number >= WARM_UP and number % MARK_EVERY == 0:
                marks[number] = resident_kib()
            if number == WARM_UP:
                warm_blocks = live_blocks()
            try:
                session.run(cycle(), timeout=30)
            except Exception:
                failures += 1
            if args.collect:
                gc.collect()
        seconds = time.perf_counter() - began
        marks[args.cycles] = final = resident_kib()
        blocks = live_blocks()
        session.run(target.stop())
    hundreds = (args.cycles - WARM_UP) / 100
    warm = marks[WARM_UP]
    half = max(number for number in marks if number <= (WARM_UP + args.cycles) // 2)
    results = {
        "cycles": args.cycles,
        "failures": failures,
        "collect_each_cycle": args.collect,
        "seconds": round(seconds, 1),
        "ms_per_cycle": round(seconds / args.cycles * 1000, 2),
        "rss_after_warm_up_kib": warm,
        "rss_at_end_kib": final,
        "rss_growth_kib_per_100_cycles": round((final - warm) / hundreds, 2),
        "rss_growth_kib_per_100_cycles_second_half": round(
            (final - marks[half]) / ((args.cycles - half) / 100), 2
        ),
        "rss_kib_by_cycle": {str(number): kib for number, kib in sorted(marks.items())},
        "live_blocks_after_warm_up": warm_blocks,
        "live_blocks_at_end": blocks,
        "live_blocks_growth_per_100_cycles": round((blocks - warm_blocks) / hundreds, 2),
        "what": "one client, one device: pair (connect, pair or re-encrypt), battery read, "
        "disconnect, per cycle; virtual target, virtual time; live = after a full collection",
    }
    name = "soak-collect.json" if args.collect else "soak.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
