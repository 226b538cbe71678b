"""Benchmark of the virtual radio and the bleak backend over bumble.

    .venv/bin/python bench/radio_bench.py [DEVICES=1000] [--rounds 200] [--stock-devices 100]
        [--only latency|advertisers|stock] [--profile FILE]

Prints a table and writes bench/results/radio.json (with `--only`, that part of it,
the others kept as they were). `--profile FILE` profiles 3 s more of one scanner
listening with cProfile, after the measurement, and writes the statistics to
FILE. What it measures, and how:

* Latency of read, write (with response), notify and pair through the bleak
  backend, as a ratio to the same operation on a raw bumble central in the same
  run, on the same link and peripheral. Operations alternate between the two
  clients, so drift in the machine's speed hits both alike; the ratio is of
  medians.
* N bare bumble advertisers at 20 ms in this process:
  - memory per device: growth of the process's resident set while creating
    them, divided by N;
  - CPU while nobody listens: process CPU time over wall time for 3 s (one
    core = 100 %), with every device advertising;
  - CPU while one passive scanner with controller duplicate filtering listens,
    measured the same way (advertising events then really run);
  - one active scan through BleakScanner: seconds until every device was
    reported (advertising data and scan response).
* For scale, the same idle measurement on stock bumble (LocalLink and
  Controller) with fewer devices, since stock cost grows with N squared.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bleak import BleakClient, BleakScanner  # noqa: E402
from bleak.backends.device import BLEDevice  # noqa: E402
from bleak.backends.scanner import AdvertisementData  # noqa: E402
from bumble import gatt, hci  # noqa: E402
from bumble.controller import Controller  # noqa: E402
from bumble.core import AdvertisingData  # noqa: E402
from bumble.device import Connection, Device, Peer  # noqa: E402
from bumble.host import Host  # noqa: E402
from bumble.keys import MemoryKeyStore  # noqa: E402
from bumble.link import LocalLink  # noqa: E402
from bumble.pairing import PairingConfig, PairingDelegate  # noqa: E402
from bumble.transport.common import AsyncPipeSink  # noqa: E402

from harness.bleak_backend import BumbleClient, BumbleScanner, use_link  # noqa: E402
from simulator.radio.link import VirtualLink  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "radio.json"
READ_UUID = "7e1a1001-8c2b-4a54-9f3e-0d4b6c2a9e10"
WRITE_UUID = "7e1a1004-8c2b-4a54-9f3e-0d4b6c2a9e10"
INTERVAL_MS = 20
_P = gatt.Characteristic.Properties
_R = gatt.Characteristic.Permissions


def advertising(name: str) -> bytes:
    return bytes(
        AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes([0x06])),
                (AdvertisingData.COMPLETE_LOCAL_NAME, name.encode()),
            ]
        )
    )


SCAN_RESPONSE = bytes(AdvertisingData([(AdvertisingData.MANUFACTURER_SPECIFIC_DATA, b"\xfe\x0f1")]))


def just_works(_connection: Connection) -> PairingConfig:
    return PairingConfig(
        sc=True,
        mitm=False,
        bonding=True,
        delegate=PairingDelegate(io_capability=PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT),
    )


def resident_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def cpu_share(seconds: float) -> float:
    """Process CPU time over wall time while the loop runs for `seconds` (one core = 1.0)."""
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    return (time.process_time() - cpu) / (time.perf_counter() - wall)


# --- latency -------------------------------------------------------------------------


class Peripheral:
    def __init__(self, device: Device) -> None:
        self.device = device
        self.device.keystore = MemoryKeyStore()
        self.device.pairing_config_factory = just_works
        self.notify: gatt.Characteristic[bytes] = gatt.Characteristic(
            WRITE_UUID, _P.READ | _P.WRITE | _P.NOTIFY, _R.READABLE | _R.WRITEABLE, b""
        )
        device.add_services(
            [
                gatt.Service(
                    "7e1a0001-8c2b-4a54-9f3e-0d4b6c2a9e10",
                    [gatt.Characteristic(READ_UUID, _P.READ, _R.READABLE, b"x" * 20), self.notify],
                )
            ]
        )
        self.connections: dict[hci.Address, Connection] = {}
        device.on(device.EVENT_CONNECTION, self._on_connection)

    def _on_connection(self, connection: Connection) -> None:
        self.connections[connection.peer_address] = connection
        connection.on(
            connection.EVENT_DISCONNECTION,
            lambda _r: self.connections.pop(connection.peer_address, None),
        )

    async def start(self) -> None:
        await self.device.power_on()
        await self.advertise()

    async def advertise(self) -> None:
        """Advertise (again): a connection stops legacy advertising, and the bench connects two."""
        await self.device.start_advertising(
            advertising_data=advertising("bench"),
            scan_response_data=SCAN_RESPONSE,
            advertising_interval_min=INTERVAL_MS,
            advertising_interval_max=INTERVAL_MS,
            auto_restart=True,
        )


async def timed(operation: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await operation()
    return time.perf_counter() - start


async def latency(rounds: int) -> dict[str, dict[str, float]]:
    link = VirtualLink()
    radio = use_link(link)
    assert radio is not None
    peripheral = Peripheral(link.add_device("peripheral"))
    await peripheral.start()
    address = peripheral.device.random_address

    raw = link.add_device("raw-central")
    raw.keystore = MemoryKeyStore()
    raw.pairing_config_factory = just_works
    await raw.power_on()
    raw_connection = await raw.connect(address)
    await peripheral.advertise()
    peer = Peer(raw_connection)
    await peer.request_mtu(517)
    await peer.discover_services()
    [service] = [s for s in peer.services if str(s.uuid).lower().startswith("7e1a0001")]
    await service.discover_characteristics()
    raw_read = next(c for c in service.characteristics if str(c.uuid).lower() == READ_UUID)
    raw_write = next(c for c in service.characteristics if str(c.uuid).lower() == WRITE_UUID)

    client = BleakClient(address.to_string(False), backend=BumbleClient, timeout=10)
    await client.connect()
    central = await radio.central()
    bleak_peer_address = central.random_address
    raw_peer_address = raw.random_address

    received: asyncio.Queue[None] = asyncio.Queue()
    await client.start_notify(WRITE_UUID, lambda _c, _d: received.put_nowait(None))
    await raw_write.subscribe(lambda _v: received.put_nowait(None))

    async def notify(to: hci.Address) -> None:
        connection = peripheral.connections[to]
        await peripheral.device.notify_subscriber(connection, peripheral.notify, b"n" * 20)
        await received.get()

    pairs: dict[str, tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]] = {
        "read": (lambda: client.read_gatt_char(READ_UUID), lambda: raw_read.read_value()),
        "write": (
            lambda: client.write_gatt_char(WRITE_UUID, b"w" * 20, response=True),
            lambda: raw_write.write_value(b"w" * 20, with_response=True),
        ),
        "notify": (lambda: notify(bleak_peer_address), lambda: notify(raw_peer_address)),
    }
    results: dict[str, dict[str, float]] = {}
    for name, (through_bleak, through_bumble) in pairs.items():
        samples: dict[str, list[float]] = {"bleak": [], "bumble": []}
        for _ in range(rounds):
            samples["bleak"].append(await timed(through_bleak))
            samples["bumble"].append(await timed(through_bumble))
        results[name] = summary(samples)

    await client.disconnect()
    await raw_connection.disconnect()
    results["pair"] = await pairing_latency(link, peripheral, radio.keystore, max(rounds // 10, 10))
    use_link(None)
    return results


async def pairing_latency(
    link: VirtualLink, peripheral: Peripheral, keystore: MemoryKeyStore, rounds: int
) -> dict[str, float]:
    address = peripheral.device.random_address
    raw = link.add_device("raw-pairing")
    raw.keystore = MemoryKeyStore()
    raw.pairing_config_factory = just_works
    await raw.power_on()
    samples: dict[str, list[float]] = {"bleak": [], "bumble": []}
    for _ in range(rounds):
        client = BleakClient(address.to_string(False), backend=BumbleClient, timeout=10)
        await client.connect()
        samples["bleak"].append(await timed(client.pair))
        await client.unpair()
        connection = await raw.connect(address)
        samples["bumble"].append(await timed(connection.pair))
        await connection.disconnect()
        await raw.keystore.delete_all()
        assert peripheral.device.keystore is not None
        await peripheral.device.keystore.delete_all()
        await keystore.delete_all()
    return summary(samples)


def summary(samples: dict[str, list[float]]) -> dict[str, float]:
    bleak_ms = statistics.median(samples["bleak"]) * 1000
    bumble_ms = statistics.median(samples["bumble"]) * 1000
    return {"bleak_ms": bleak_ms, "bumble_ms": bumble_ms, "ratio": bleak_ms / bumble_ms}


# --- many advertisers ------------------------------------------------------------------


async def advertisers(count: int, profile: Path | None = None) -> dict[str, float]:
    link = VirtualLink()
    radio = use_link(link)
    assert radio is not None
    await radio.central()
    before = resident_bytes()
    devices = []
    for index in range(count):
        device = link.add_device(f"adv-{index}")
        await device.power_on()
        await device.start_advertising(
            advertising_data=advertising(f"adv-{index}"),
            scan_response_data=SCAN_RESPONSE,
            advertising_interval_min=INTERVAL_MS,
            advertising_interval_max=INTERVAL_MS,
        )
        devices.append(device)
    memory_per_device = (resident_bytes() - before) / count

    idle = await cpu_share(3.0)

    central = await radio.central()
    await central.start_scanning(active=False, filter_duplicates=True)
    listening = await cpu_share(3.0)
    if profile is not None:
        # A window of its own: under the profiler the same work takes twice the CPU.
        profiler = cProfile.Profile()
        profiler.enable()
        await asyncio.sleep(3.0)
        profiler.disable()
        profiler.dump_stats(profile)
    await central.stop_scanning()

    wanted = {d.random_address.to_string(False) for d in devices}
    seen: set[str] = set()
    everyone = asyncio.Event()

    def on_detection(device: BLEDevice, _adv: AdvertisementData) -> None:
        seen.add(device.address)
        if seen >= wanted:
            everyone.set()

    start = time.perf_counter()
    async with BleakScanner(on_detection, backend=BumbleScanner):
        await asyncio.wait_for(everyone.wait(), 30)
    scan_seconds = time.perf_counter() - start
    # Let the advertisers stop at their next event before anything else is measured.
    await asyncio.sleep(2 * INTERVAL_MS / 1000)
    use_link(None)
    return {
        "devices": count,
        "memory_per_device_kib": memory_per_device / 1024,
        "idle_cpu_percent": idle * 100,
        "listening_cpu_percent": listening * 100,
        "scan_all_seconds": scan_seconds,
    }


async def stock_idle(count: int) -> dict[str, float]:
    """Stock bumble: every advertiser's timer runs and reaches every controller."""
    link = LocalLink()  # type: ignore[no-untyped-call]
    for index in range(count):
        controller = Controller(f"stock-{index}", link=link)
        device = Device(
            name=f"stock-{index}",
            address=hci.Address.generate_static_address(),
            host=Host(controller, AsyncPipeSink(controller)),
        )
        await device.power_on()
        await device.start_advertising(
            advertising_data=advertising(f"s{index}"),
            advertising_interval_min=INTERVAL_MS,
            advertising_interval_max=INTERVAL_MS,
        )
    return {"devices": count, "idle_cpu_percent": await cpu_share(3.0) * 100}


PARTS = ("latency", "advertisers", "stock")


async def main(
    count: int, rounds: int, stock_count: int, parts: tuple[str, ...], profile: Path | None
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "architecture": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_before": [round(value, 2) for value in os.getloadavg()],
        },
    }
    if "latency" in parts:
        results["latency"] = await latency(rounds)
    if "advertisers" in parts:
        results["advertisers"] = await advertisers(count, profile)
    if "stock" in parts:
        results["stock_bumble"] = await stock_idle(stock_count)
    return results


def print_table(results: dict[str, Any]) -> None:
    if "latency" in results:
        print(f"{'operation':<10}{'bleak ms':>10}{'bumble ms':>11}{'ratio':>8}")
        for name, row in results["latency"].items():
            print(
                f"{name:<10}{row['bleak_ms']:>10.3f}{row['bumble_ms']:>11.3f}{row['ratio']:>8.2f}"
            )
        print()
    if "advertisers" in results:
        print_advertisers(results["advertisers"])
    if "stock_bumble" in results:
        stock = results["stock_bumble"]
        print(
            f"stock bumble, {stock['devices']} advertisers, nobody listening: "
            f"{stock['idle_cpu_percent']:.1f} % of one core"
        )


def print_advertisers(adv: dict[str, float]) -> None:
    print(f"{adv['devices']} advertisers at {INTERVAL_MS} ms")
    print(f"  memory per device      {adv['memory_per_device_kib']:8.1f} KiB")
    print(f"  CPU, nobody listening  {adv['idle_cpu_percent']:8.1f} % of one core")
    print(f"  CPU, one scanner       {adv['listening_cpu_percent']:8.1f} % of one core")
    print(f"  active scan finds all  {adv['scan_all_seconds']:8.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("devices", type=int, nargs="?", default=1000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--stock-devices", type=int, default=100)
    parser.add_argument("--only", choices=PARTS, help="measure this part only")
    parser.add_argument("--profile", type=Path, help="cProfile the one-scanner measurement")
    args = parser.parse_args()
    parts = (args.only,) if args.only else PARTS
    if args.profile is not None and "advertisers" not in parts:
        parser.error("--profile: only the advertisers part is profiled")
    outcome = asyncio.run(main(args.devices, args.rounds, args.stock_devices, parts, args.profile))
    print_table(outcome)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    kept = json.loads(RESULTS.read_text()) if args.only and RESULTS.exists() else {}
    RESULTS.write_text(json.dumps({**kept, **outcome}, indent=2) + "\n")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
