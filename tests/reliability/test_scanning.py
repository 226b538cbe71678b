"""A scan that has heard a device tells a callback registered later (found on the way
to issue 16): the controller reports a device once per scan, and bleak's
`find_device_by_address` registers its callback only after the scan started, so a
report landing in between was lost for the whole scan (5 scans in 1000 missed)."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from harness.bleak_backend import BumbleScanner
from harness.targets.virtual import VirtualTarget
from iqos.models import model_named
from tests.reliability.conftest import quiet

pytestmark = pytest.mark.asyncio


async def test_a_callback_registered_during_a_scan_hears_what_it_has_heard(
    target: VirtualTarget,
) -> None:
    dut = await target.provide(model_named("IQOS 3 DUO"))
    heard = asyncio.Event()

    def on_report(device: BLEDevice, _advertisement: AdvertisementData) -> None:
        if device.address == dut.address:
            heard.set()

    async with BleakScanner(on_report, backend=BumbleScanner) as scanner:
        async with asyncio.timeout(1.0):
            await heard.wait()
            async for device, _advertisement in scanner.advertisement_data():
                if device.address == dut.address:
                    break
    await quiet(target)
