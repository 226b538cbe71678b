"""Simulator figures: a full 6-minute heating session in wall time, memory per device.

.venv/bin/python bench/simulator_bench.py   -> table, and bench/results/simulator.json
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

from simulator.clock import SimulatedClock
from simulator.device import SESSION_SECONDS, SimulatedDevice
from simulator.profile import find_profile

RESULTS = Path(__file__).parent / "results" / "simulator.json"
DEVICES = 1000


def session_wall_seconds(model: str, repeats: int = 200) -> float:
    profile = find_profile(model)
    start = time.perf_counter()
    for _ in range(repeats):
        device = SimulatedDevice(profile, SimulatedClock(), "C0:00:00:00:00:01")
        if device.holder is not None:
            device.remove_holder()
        device.start_heating()
        for _ in range(6):
            device.pass_time(SESSION_SECONDS / 6)
        assert device.last_session is not None
    return (time.perf_counter() - start) / repeats


def bytes_per_device(model: str) -> float:
    profile = find_profile(model)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    devices = [
        SimulatedDevice(profile, SimulatedClock(), f"C0:00:00:00:{i // 256:02X}:{i % 256:02X}")
        for i in range(DEVICES)
    ]
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    total = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert len(devices) == DEVICES
    return total / DEVICES


def main() -> None:
    rows = {}
    for model in ("IQOS 2.4 Plus", "IQOS 3 DUO", "IQOS 3 Multi"):
        rows[model] = {
            "six_minute_session_wall_ms": round(session_wall_seconds(model) * 1000, 3),
            "bytes_per_device_model": round(bytes_per_device(model)),
        }
    print(f"{'model':<15} {'6-min session (ms wall)':>24} {'bytes per device model':>24}")
    for model, row in rows.items():
        print(
            f"{model:<15} {row['six_minute_session_wall_ms']:>24} "
            f"{row['bytes_per_device_model']:>24}"
        )
    RESULTS.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
