"""Devices served as `iqos-sim serve --hci-port 0 --panel 0` serves them, in this process.

Two models on one virtual link, each with its GATT traffic tapped for the panel,
an HCI server so that another process (`iqos-hil diag`) reaches them, and the
panel on 127.0.0.1 at a port the system picks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio

from simulator.clock import SimulatedClock
from simulator.control import Control
from simulator.device import SimulatedDevice
from simulator.panel.server import Panel
from simulator.profile import find_profile
from simulator.radio.bumble_gatt import BumblePeripheral
from simulator.radio.hci_server import HciServer
from simulator.radio.link import VirtualLink

MODELS = ("IQOS 3 DUO", "IQOS 3 Multi")


@dataclass
class Served:
    control: Control
    panel: Panel
    hci: str
    """IQOS_HIL_HCI for another process: tcp-client:127.0.0.1:PORT."""

    def device(self, model: str) -> SimulatedDevice:
        return next(d for d in self.control.devices if d.model == model)


@pytest_asyncio.fixture
async def served() -> AsyncIterator[Served]:
    link = VirtualLink()
    control = Control([])
    panel = Panel(control, port=0)
    peripherals = []
    for index, model in enumerate(MODELS):
        profile = find_profile(model)
        radio = link.add_device(f"{profile.key}-{index}")
        device = SimulatedDevice(profile, SimulatedClock(), radio.random_address.to_string(False))
        panel.watch(device, radio)
        peripheral = BumblePeripheral(device, radio)
        await peripheral.start()
        peripherals.append(peripheral)
    control.devices = [p.device for p in peripherals]
    async with HciServer(link) as hci:
        port = await hci.listen_tcp(0)
        async with panel:
            await panel.start()
            yield Served(control, panel, f"tcp-client:127.0.0.1:{port}")
        for peripheral in peripherals:
            await peripheral.stop()
    for controller in list(link.controllers):
        link.remove_controller(controller)
