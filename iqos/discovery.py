"""Finding IQOS devices: the RRP service or company id 0x0223 in their advertising."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from iqos.models import model_for_name
from iqos.protocol import COMPANY_ID, PairingState, ProtocolError, decode_manufacturer_payload
from iqos.protocol.model import ModelSpec
from iqos.protocol.uuids import RRP_SERVICE

SCAN_STOP_GRACE = 2.0
"""Seconds beyond a scan's own end for bleak to stop it: the guard only cuts a scan
that hangs. A stop cancelled halfway leaves BlueZ discovering for this process, and
its next scan is refused (`org.bluez.Error.InProgress`); the rehearsal met that when
the guard ended with the scan."""


@dataclass(frozen=True)
class DiscoveredDevice:
    address: str
    name: str | None
    model: ModelSpec | None
    rssi: int
    pairing_state: PairingState
    ble_device: BLEDevice

    def __str__(self) -> str:
        model = self.model.display_name if self.model else "unknown model"
        return f"{self.name} ({model}, {self.address}, {self.rssi} dBm, {self.pairing_state.name})"


def recognise(device: BLEDevice, advertisement: AdvertisementData) -> DiscoveredDevice | None:
    """An IQOS device from one advertisement, or None for anything else."""
    payload = advertisement.manufacturer_data.get(COMPANY_ID)
    if payload is None and RRP_SERVICE not in advertisement.service_uuids:
        return None
    try:
        state = (
            decode_manufacturer_payload(payload)
            if payload is not None
            else PairingState.PAIRING_MODE
        )
    except ProtocolError:
        return None
    name = advertisement.local_name or device.name
    return DiscoveredDevice(
        address=device.address,
        name=name,
        model=model_for_name(name),
        rssi=advertisement.rssi,
        pairing_state=state,
        ble_device=device,
    )


async def discover(
    scan_seconds: float = 5.0,
    *,
    until: Callable[[dict[str, DiscoveredDevice]], bool] | None = None,
    scanner_backend: Any = None,
    adapter: str | None = None,
    allowed_addresses: frozenset[str] | None = None,
    scan_window: float | None = None,
    **_: Any,
) -> list[DiscoveredDevice]:
    """Scan for up to `scan_seconds`, or until `until(found)` says enough was seen.

    Waits only for what the caller needs: a scenario that knows which device it
    expects stops as soon as that device's scan response has arrived. With
    `scan_window`, a scan that has not seen enough after that many seconds starts
    again, within the same `scan_seconds`, keeping what it heard: for radios that
    report a device once per scan start and may lose that report (BlueZ over
    btvirt, docs/speed.md).
    """
    found: dict[str, DiscoveredDevice] = {}
    enough = asyncio.Event()

    def on_advertisement(device: BLEDevice, advertisement: AdvertisementData) -> None:
        if allowed_addresses is not None and device.address.upper() not in allowed_addresses:
            return
        recognised = recognise(device, advertisement)
        if recognised is None or recognised.name is None:
            return
        found[recognised.address.upper()] = recognised
        if until is not None and until(found):
            enough.set()

    options: dict[str, Any] = {"scanning_mode": "active"}
    if scanner_backend is not None:
        options["backend"] = scanner_backend
    if adapter is not None:
        options["bluez"] = {"adapter": adapter}
    loop = asyncio.get_running_loop()
    end = loop.time() + scan_seconds
    window = scan_window or scan_seconds
    while True:
        async with BleakScanner(on_advertisement, **options):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(enough.wait(), min(window, end - loop.time()))
        if enough.is_set() or loop.time() >= end:
            return sorted(found.values(), key=lambda d: -d.rssi)


async def find_by_address(
    address: str,
    timeout: float,
    *,
    scan_window: float | None = None,
    scanner_backend: Any = None,
    adapter: str | None = None,
) -> BLEDevice | None:
    """The device at `address` once a scan hears it, or None after `timeout` seconds.

    With `scan_window`, a scan that has not heard it after that many seconds starts
    again, within the same `timeout`: for radios that report a device once per scan
    start and may lose that report (BlueZ over btvirt, docs/speed.md).
    """
    options: dict[str, Any] = {}
    if scanner_backend is not None:
        options["backend"] = scanner_backend
    if adapter is not None:
        options["bluez"] = {"adapter": adapter}
    device: BLEDevice | None = None
    window = scan_window or timeout
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while device is None and loop.time() < end:
        scan = min(window, end - loop.time())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(scan + SCAN_STOP_GRACE):
                device = await BleakScanner.find_device_by_address(address, timeout=scan, **options)
    return device
