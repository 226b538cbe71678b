"""Virtual radio figures, measured in one run so they compare as ratios.

- per-operation latency (read, write with response, notify round trip) through
  the bleak backend, against the same operation on a raw bumble central;
- N simulated devices advertising at once: time for one active scan to find
  them all, and memory per device (bumble stack + simulator).

    .venv/bin/python bench/radio_bench.py [N]   -> table, and bench/results/radio.json
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

from bleak import BleakClient, BleakScanner
from bumble import gatt
from bumble.device import Peer

from harness.bleak_backend import BumbleClient, BumbleScanner, use_link
from iqos.protocol import Node, ShortFrame
from iqos.protocol.registers import Register
from iqos.protocol.uuids import BATTERY_INFORMATION, SCP_CONTROL_POINT
from simulator.clock import SimulatedClock
from simulator.device import SimulatedDevice
from simulator.profile import find_profile
from simulator.radio.bumble_gatt import BumblePeripheral
from simulator.radio.link import VirtualLink

RESULTS = Path(__file__).parent / "results" / "radio.json"
ROUNDS = 200


async def _timed(operation: Callable[[], Awaitable[object]]) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        await operation()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


async def latency() -> dict[str, dict[str, float]]:
    link = VirtualLink()
    radio = use_link(link)
    assert radio is not None
    peripheral_radio = link.add_device("sim")
    device = SimulatedDevice(
        find_profile("IQOS 3 DUO"), SimulatedClock(), str(peripheral_radio.random_address)
    )
    await BumblePeripheral(device, peripheral_radio).start()
    request = ShortFrame(Node.CHARGER, Register.FIRMWARE_VERSION).encode()
    results: dict[str, dict[str, float]] = {}

    async with BleakClient(device.address, backend=BumbleClient) as client:
        await client.pair()
        answered = asyncio.Event()
        await client.start_notify(SCP_CONTROL_POINT, lambda _c, _d: answered.set())

        async def bleak_request() -> None:
            answered.clear()
            await client.write_gatt_char(SCP_CONTROL_POINT, request, response=True)
            await answered.wait()

        bleak_read = await _timed(lambda: client.read_gatt_char(BATTERY_INFORMATION))
        bleak_write = await _timed(
            lambda: client.write_gatt_char(
                SCP_CONTROL_POINT, b"\x00\x77\x00\x00\x00", response=True
            )
        )
        bleak_notify = await _timed(bleak_request)

    connection = await radio.device.connect(peripheral_radio.random_address)
    await connection.encrypt()
    peer = Peer(connection)
    await peer.discover_services()
    await peer.discover_characteristics()
    battery = peer.get_characteristics_by_uuid(gatt.UUID(BATTERY_INFORMATION))[0]
    scp = peer.get_characteristics_by_uuid(gatt.UUID(SCP_CONTROL_POINT))[0]
    raw_answer = asyncio.Event()
    await scp.subscribe(lambda _value: raw_answer.set())

    async def raw_request() -> None:
        raw_answer.clear()
        await scp.write_value(request, with_response=True)
        await raw_answer.wait()

    raw_read = await _timed(battery.read_value)
    raw_write = await _timed(lambda: scp.write_value(b"\x00\x77\x00\x00\x00", with_response=True))
    raw_notify = await _timed(raw_request)
    for name, ours, raw in (
        ("read", bleak_read, raw_read),
        ("write", bleak_write, raw_write),
        ("request + notify", bleak_notify, raw_notify),
    ):
        results[name] = {
            "bleak_us": round(ours, 1),
            "bumble_us": round(raw, 1),
            "ratio": round(ours / raw, 2),
        }
    return results


async def crowd(count: int) -> dict[str, float]:
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    link = VirtualLink()
    use_link(link)
    profile = find_profile("IQOS 3 DUO")
    addresses = set()
    for index in range(count):
        radio = link.add_device(f"sim-{index}")
        device = SimulatedDevice(profile, SimulatedClock(), str(radio.random_address))
        await BumblePeripheral(device, radio).start()
        addresses.add(device.address)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    memory = sum(stat.size_diff for stat in after.compare_to(before, "filename")) / count
    found: set[str] = set()
    everyone = asyncio.Event()

    def seen(device: object, advertisement: object) -> None:
        found.add(device.address)  # type: ignore[attr-defined]
        if found >= addresses:
            everyone.set()

    start = time.perf_counter()
    async with BleakScanner(seen, backend=BumbleScanner):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everyone.wait(), 30)
    scan = time.perf_counter() - start
    idle_start, cpu_start = time.perf_counter(), time.process_time()
    await asyncio.sleep(2.0)
    idle_cpu = (time.process_time() - cpu_start) / (time.perf_counter() - idle_start)
    return {
        "devices": count,
        "found": len(found & addresses),
        "scan_seconds_to_find_all": round(scan, 2),
        "idle_cpu_percent_of_a_core": round(idle_cpu * 100, 1),
        "bytes_per_simulated_device": round(memory),
    }


async def main(count: int) -> None:
    results = {"latency": await latency(), "crowd": await crowd(count)}
    print(f"{'operation':<18} {'bleak backend (us)':>19} {'raw bumble (us)':>16} {'ratio':>6}")
    for name, row in results["latency"].items():
        print(f"{name:<18} {row['bleak_us']:>19} {row['bumble_us']:>16} {row['ratio']:>6}")
    print(json.dumps(results["crowd"], indent=2))
    RESULTS.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
