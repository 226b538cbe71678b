"""Out of range and back on the virtual radio: what walking away from the phone does.

A device out of range loses its link without a disconnect procedure: nobody sends
LL_TERMINATE_IND, the supervision timeout ends the link on both sides, and each
host is told HCI reason 0x08 (Connection Timeout). It goes on advertising, as a
real device does, but nobody hears it until it comes back (`VirtualLink.leave_range`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from simulator.device import DeviceRefused, SimulatedDevice
from simulator.radio.bumble_gatt import BumblePeripheral
from simulator.radio.link import VirtualLink

LINK_LOSS_SECONDS = 5.0
"""Loop seconds the device's own host has to hear of its lost link: it takes a few
loop turns on the virtual radio, so this bounds a fault, never a normal wait."""


class VirtualReach:
    """Whether one device on a VirtualLink is within the others' range."""

    def __init__(
        self,
        link: VirtualLink,
        device: SimulatedDevice,
        peripheral: Callable[[], BumblePeripheral | None],
    ) -> None:
        """`peripheral` gives the device's radio now: none while it is switched off, a
        new one after each power-on (simulator.power)."""
        self.link = link
        self.device = device
        self._peripheral = peripheral

    @property
    def in_range(self) -> bool:
        return self.link.in_range(self.device.address)

    async def go_out_of_range(self) -> None:
        """Done once the device itself knows its link is gone (it then advertises
        again, unheard)."""
        if not self.in_range:
            raise DeviceRefused("it is out of range already; bring it back first")
        peripheral = self._peripheral()
        connection = peripheral.connection if peripheral is not None else None
        lost = asyncio.Event()
        if connection is not None:
            connection.once("disconnection", lambda _reason: lost.set())
        else:
            lost.set()
        self.link.leave_range(self.device.address)
        async with asyncio.timeout(LINK_LOSS_SECONDS):
            await lost.wait()
        if peripheral is not None:
            await peripheral.settled()

    async def come_back_in_range(self) -> None:
        if self.in_range:
            raise DeviceRefused("it is in range already; take it out of range first")
        self.link.return_to_range(self.device.address)
