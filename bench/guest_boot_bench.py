"""Benchmark of the guest runner: how long until BlueZ is usable in a fresh guest.

    .venv/bin/python bench/guest_boot_bench.py [--boots 3]

Boots the guest BOOTS times with a job that does nothing, and prints a table
and writes bench/results/guest.json. All figures are host wall seconds since
QEMU was started, per boot, with their median:

* the stage markers the guest prints on its console (stage 1: initramfs
  running, its modules in, shares mounted; stage 2: Bluetooth modules in, dbus
  up, bluetoothd started, readiness seen by stage 2);
* bluetoothd ready: org.bluez owned on the system bus, as seen by the bring-up
  daemon. That daemon is Python and starts at the same time as bluetoothd, so
  this is the later of bluetoothd's readiness and the daemon's own start;
* both controllers powered: both btvirt adapters Powered on D-Bus, the
  runner's definition of ready;
* the whole boot, QEMU start to exit (job and power-off included).

Host preparation (package check, cached kernel, cached initramfs) is measured
once before the boots; on a warm cache it is a few stat calls.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.guest.host import fetch_kernel, install_packages, stderr_log  # noqa: E402
from harness.guest.initramfs import build_initramfs  # noqa: E402
from harness.guest.runner import (  # noqa: E402
    BUSYBOX,
    CACHE,
    GuestConfig,
    boot,
    collect,
    new_results_dir,
)

RESULTS = ROOT / "bench" / "results" / "guest.json"
MARKERS = ("initramfs", "modules", "shares", "modules-bluetooth", "dbus", "bluetoothd-started")
ROWS = (
    *((f"marker: {name}", ("markers", name)) for name in MARKERS),
    ("bluetoothd ready (org.bluez on D-Bus)", ("host_seconds", "bluetoothd_ready")),
    ("both controllers powered", ("host_seconds", "adapters_powered")),
    ("whole boot, QEMU start to exit", ("wall_seconds",)),
)


def figure(summary: dict[str, Any], path: tuple[str, ...]) -> float | None:
    """One figure of a boot's summary.json, in host seconds."""
    value: Any = summary
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    if isinstance(value, dict):
        return float(value["host"])
    return float(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boots", type=int, default=3)
    args = parser.parse_args()
    config = GuestConfig(timeout=300)
    started = time.monotonic()
    install_packages(stderr_log)
    kernel = fetch_kernel(CACHE / "kernels", stderr_log)
    initrd = build_initramfs(BUSYBOX, kernel.modules, CACHE)
    prepare = time.monotonic() - started
    summaries = []
    for number in range(1, args.boots + 1):
        results = new_results_dir()
        outcome = collect(boot(["true"], kernel, initrd, results, config, ROOT, os.environ))
        if outcome.problem is not None or outcome.exit_code != 0:
            print(f"boot {number} failed: {outcome.problem}; see {results}", file=sys.stderr)
            return 1
        summaries.append(outcome.summary)
        ready = outcome.summary["host_seconds"]["adapters_powered"]
        print(f"boot {number}: ready at {ready:.2f} s", file=sys.stderr)
    table: dict[str, dict[str, Any]] = {}
    for label, path in ROWS:
        values = [figure(summary, path) for summary in summaries]
        present = [value for value in values if value is not None]
        table[label] = {
            "boots": values,
            "median": round(statistics.median(present), 3) if present else None,
        }
    report = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "kernel": kernel.release,
            "guest_memory_mb": config.memory_mb,
            "guest_cpus": config.cpus,
            "accelerator": "tcg,thread=multi",
        },
        "host_prepare_seconds": round(prepare, 3),
        "btvirt_attempts": [summary["ready"]["attempts"] for summary in summaries],
        "seconds_since_qemu_start": table,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    width = max(len(label) for label, _ in ROWS)
    header = "".join(f"{'boot ' + str(n):>9}" for n in range(1, len(summaries) + 1))
    print(f"{'seconds since QEMU start':<{width}}{header}{'median':>9}")
    for label, row in table.items():
        cells = "".join(
            f"{value:9.2f}" if value is not None else f"{'-':>9}" for value in row["boots"]
        )
        median = f"{row['median']:9.2f}" if row["median"] is not None else f"{'-':>9}"
        print(f"{label:<{width}}{cells}{median}")
    print(f"host preparation (warm cache unless first run): {prepare:.2f} s")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
