"""Stock bleak's BlueZ backend pinned to the client adapter, and the bless bare
peripheral on a device adapter: what the contract fixtures give on BlueZ."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from bleak.backends.bluezdbus.client import BleakClientBlueZDBus
from bleak.backends.bluezdbus.scanner import BleakScannerBlueZDBus
from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner
from bleak.exc import BleakError

from iqos.client import BLUEZ_RACE_RETRIES, UNSIGNALLED_CONNECT
from simulator.radio.bluez_bus import system_bus
from simulator.radio.bluez_host import forget, register_agent, unregister_agent
from tests.radio.bless_peripheral import BlessBarePeripheral


def _adapters() -> tuple[list[str], str]:
    devices = [a for a in os.environ.get("IQOS_BLUEZ_DEVICE_ADAPTERS", "").split(",") if a]
    return devices, os.environ["IQOS_BLUEZ_CLIENT_ADAPTER"].split(",")[0]


def _pinned(options: dict[str, Any]) -> dict[str, Any]:
    """The test's own bluez options, with the client adapter unless it names one."""
    bluez = dict(options.pop("bluez", None) or {})
    bluez.setdefault("adapter", _adapters()[1])
    return {**options, "bluez": bluez}


def client_adapter_scanner() -> type[BaseBleakScanner]:
    class ClientAdapterScanner(BleakScannerBlueZDBus):
        def __init__(self, *args: Any, **options: Any) -> None:
            super().__init__(*args, **_pinned(options))

    return ClientAdapterScanner


def client_adapter_client() -> type[BaseBleakClient]:
    class ClientAdapterClient(BleakClientBlueZDBus):
        """Also tries again a connect that BlueZ answered without signalling
        `Connected` (docs/bluez-lane.md), as `iqos.client` does: a BlueZ race that
        bleak reports as a disconnect, not the behaviour the contract is about."""

        def __init__(self, *args: Any, **options: Any) -> None:
            super().__init__(*args, **_pinned(options))

        async def connect(self, pair: bool, **kwargs: Any) -> None:
            for _ in range(BLUEZ_RACE_RETRIES):
                try:
                    await super().connect(pair, **kwargs)
                    return
                except BleakError as error:
                    if str(error) != UNSIGNALLED_CONNECT:
                        raise
                    # bleak 3.1 leaves that failed session marked connected (its
                    # watcher is gone before BlueZ signals the link down), and the
                    # next connect would fail with "Client is already connected".
                    self._is_connected = False
                    await self._release_bus()
            await super().connect(pair, **kwargs)

    return ClientAdapterClient


@contextlib.asynccontextmanager
async def bless_peripheral(index: int, **options: Any) -> AsyncIterator[BlessBarePeripheral]:
    devices, client = _adapters()
    if index >= len(devices):
        raise RuntimeError(f"the contract needs {index + 1} device adapters; have {devices}")
    bus = await system_bus()
    await register_agent(bus)
    peripheral = BlessBarePeripheral(bus, devices[index], **options)
    try:
        await peripheral.start()
        yield peripheral
    finally:
        await peripheral.stop()
        await forget(bus, client, peripheral.address)
        await unregister_agent(bus)
        bus.disconnect()
