"""The client's side of the virtual radio: one central bumble device, like one adapter.

A real adapter serves every scanner and client of a process; so does this.
Bonds live in its key store for the session, so a bonded reconnect
re-encrypts instead of pairing again.
"""

from __future__ import annotations

import asyncio

from bumble.device import Device
from bumble.keys import MemoryKeyStore
from bumble.pairing import PairingConfig, PairingDelegate

from simulator.radio.link import VirtualLink

_current: ClientRadio | None = None


class ClientRadio:
    def __init__(self, link: VirtualLink, name: str = "iqos-hil-central") -> None:
        self.link = link
        self.device: Device = link.add_device(name)
        self.keystore = MemoryKeyStore()
        self.device.keystore = self.keystore
        self.device.pairing_config_factory = lambda _connection: PairingConfig(
            sc=True,
            mitm=False,
            bonding=True,
            identity_address_type=PairingConfig.AddressType.RANDOM,
            delegate=PairingDelegate(io_capability=PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT),
        )
        self._powered = asyncio.Lock()
        self._on = False
        self._scanners = 0

    async def central(self) -> Device:
        async with self._powered:
            if not self._on:
                await self.device.power_on()
                self._on = True
        return self.device

    async def start_scanning(self, active: bool) -> None:
        device = await self.central()
        self._scanners += 1
        if self._scanners == 1 or not device.is_scanning:
            await device.start_scanning(active=active, filter_duplicates=False)

    async def stop_scanning(self) -> None:
        self._scanners = max(0, self._scanners - 1)
        if self._scanners == 0 and self.device.is_scanning:
            await self.device.stop_scanning()


def use_link(link: VirtualLink | None) -> ClientRadio | None:
    """Point the backend at a virtual link (the harness does this once per session)."""
    global _current
    _current = ClientRadio(link) if link is not None else None
    return _current


def current() -> ClientRadio:
    if _current is None:
        raise RuntimeError(
            "the bumble bleak backend has no radio: call harness.bleak_backend.use_link(link)"
        )
    return _current
