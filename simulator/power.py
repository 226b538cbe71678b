"""Power to a simulated device on the virtual radio: what a bench's power switch does.

A bench wires a device's power (a USB hub port, a PDU, a battery emulator) so
that a farm can bring it back from anything by cycling it. Off takes the device
off the air at once: its links drop as on a supervision timeout, and nobody can
find it. On brings it back at the same address with the bonds it had, as a real
device keeps its bonds in flash. The model's state (battery, holder, faults) is
left alone: the model has no notion of power, only the radio does.
"""

from __future__ import annotations

from collections.abc import Callable

from bumble.device import Device

from simulator.device import SimulatedDevice
from simulator.radio.bumble_gatt import BumblePeripheral
from simulator.radio.link import VirtualLink


class PowerSwitch:
    """The power of one device served on a VirtualLink."""

    def __init__(
        self,
        link: VirtualLink,
        peripheral: BumblePeripheral,
        on_radio: Callable[[SimulatedDevice, Device], None] | None = None,
    ) -> None:
        """`on_radio` hears of each radio the device is put on (the panel taps it)."""
        self.link = link
        self.peripheral: BumblePeripheral | None = peripheral
        self.device = peripheral.device
        self.on_radio = on_radio
        self._keystore = peripheral.keystore

    @property
    def powered(self) -> bool:
        return self.peripheral is not None

    async def switch(self, on: bool) -> None:
        """Switching to the state the device is in already changes nothing."""
        if on and self.peripheral is None:
            await self._power_on()
        elif not on and self.peripheral is not None:
            peripheral, self.peripheral = self.peripheral, None
            await peripheral.stop()
            self.link.remove_device(peripheral.radio)

    async def _power_on(self) -> None:
        """A fresh radio at the old address: the one switched off keeps its GATT table
        and cannot take the device again. Power-on opens the advertising window where
        the model has one."""
        self.device.switched_on()
        radio = self.link.add_device(self.device.profile.key, address=self.device.address)
        peripheral = BumblePeripheral(self.device, radio)
        peripheral.keystore = radio.keystore = self._keystore
        if self.on_radio is not None:
            self.on_radio(self.device, radio)
        await peripheral.start()
        self.peripheral = peripheral
