"""The same GATT table on bless, so a simulated device can run on a real adapter
(BlueZ, macOS, Windows). Like the bumble adapter it holds no device behaviour.

What bless cannot do, and so this adapter cannot either: bless advertises the
local name and the service list, but no manufacturer data, so the pairing-state
byte is missing on air (clients still find the device by the RRP service); and
pairing is left to the operating system's agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bless import BlessServer  # type: ignore[attr-defined]  # chosen per platform
from bless.backends.attribute import GATTAttributePermissions as Permission
from bless.backends.characteristic import GATTCharacteristicProperties as Property

from iqos.protocol import fragment, uuids
from simulator.device import SimulatedDevice
from simulator.radio.control_point import ControlPoint

_ENCRYPTED_READ = Permission.readable | Permission.read_encryption_required
_ENCRYPTED_WRITE = Permission.writeable | Permission.write_encryption_required
SCP_NOTIFY_SIZE = 20


def gatt_tree(device: SimulatedDevice) -> dict[str, dict[str, dict[str, Any]]]:
    """The device's GATT table in bless' `add_gatt` form: the same services,
    characteristics, properties and permissions as the bumble adapter serves."""
    profile = device.profile

    def text(value: str) -> dict[str, Any]:
        return {
            "Properties": Property.read,
            "Permissions": Permission.readable,
            "Value": bytearray(value.encode()),
        }

    return {
        uuids.DEVICE_INFORMATION: {
            uuids.MODEL_NUMBER: text(profile.spec.model_number),
            uuids.SERIAL_NUMBER: text(profile.serial),
            uuids.SOFTWARE_REVISION: text(profile.software_revision),
            uuids.MANUFACTURER_NAME: text(profile.manufacturer),
        },
        uuids.RRP_SERVICE: {
            uuids.SCP_CONTROL_POINT: {
                "Properties": Property.write | Property.notify,
                "Permissions": _ENCRYPTED_WRITE,
                "Value": bytearray(),
            },
            uuids.BATTERY_INFORMATION: {
                "Properties": Property.read | Property.notify,
                "Permissions": _ENCRYPTED_READ,
                "Value": bytearray(device.battery().encode()),
            },
            uuids.DEVICE_STATUS: {
                "Properties": Property.read | Property.notify,
                "Permissions": _ENCRYPTED_READ,
                "Value": bytearray(device.status().encode()),
            },
            uuids.FIRMWARE_UPGRADE_CONTROL: {
                "Properties": Property.read,
                "Permissions": _ENCRYPTED_READ,
                "Value": bytearray(4),
            },
            uuids.FIRMWARE_UPGRADE_STATUS: {
                "Properties": Property.notify,
                "Permissions": _ENCRYPTED_READ,
                "Value": bytearray(),
            },
            uuids.UNKNOWN_WRITE_NO_RESPONSE: {
                "Properties": Property.write_without_response,
                "Permissions": _ENCRYPTED_WRITE,
                "Value": bytearray(),
            },
            uuids.UNKNOWN_WRITE_NOTIFY: {
                "Properties": Property.write | Property.notify,
                "Permissions": _ENCRYPTED_WRITE,
                "Value": bytearray(),
            },
        },
    }


class BlessPeripheral:
    """Serves one simulated device through a bless server (`server` is injectable for tests)."""

    def __init__(
        self,
        device: SimulatedDevice,
        adapter: str | None = None,
        server: Callable[..., Any] = BlessServer,
    ) -> None:
        self.device = device
        self.control_point = ControlPoint(device)
        self.server = server(name=device.name, adapter=adapter)
        self.server.read_request_func = self._read
        self.server.write_request_func = self._write
        device.listeners.append(self._on_device_change)

    async def start(self) -> None:
        await self.server.add_gatt(gatt_tree(self.device))
        await self.server.start()

    async def stop(self) -> None:
        self.device.listeners.remove(self._on_device_change)
        await self.server.stop()

    def _read(self, characteristic: Any, **_: Any) -> bytearray:
        uuid = str(characteristic.uuid).lower()
        if uuid == uuids.BATTERY_INFORMATION:
            return bytearray(self.device.battery().encode())
        if uuid == uuids.DEVICE_STATUS:
            return bytearray(self.device.status().encode())
        return bytearray(characteristic.value or b"")

    def _write(self, characteristic: Any, value: Any, **_: Any) -> None:
        if str(characteristic.uuid).lower() != uuids.SCP_CONTROL_POINT:
            return
        reply = self.control_point.write(bytes(value))
        if reply is None or reply.disconnect:
            return
        asyncio.get_running_loop().call_later(reply.delay, self._notify_answer, reply.wire)

    def _notify_answer(self, wire: bytes) -> None:
        characteristic = self.server.get_characteristic(uuids.SCP_CONTROL_POINT)
        for piece in fragment(wire, SCP_NOTIFY_SIZE):
            characteristic.value = bytearray(piece)
            self.server.update_value(uuids.RRP_SERVICE, uuids.SCP_CONTROL_POINT)

    def _on_device_change(self) -> None:
        if self.device.has_fault("drop_notifications"):
            return
        for uuid, value in (
            (uuids.BATTERY_INFORMATION, self.device.battery().encode()),
            (uuids.DEVICE_STATUS, self.device.status().encode()),
        ):
            characteristic = self.server.get_characteristic(uuid)
            if characteristic is not None and bytes(characteristic.value or b"") != value:
                characteristic.value = bytearray(value)
                self.server.update_value(uuids.RRP_SERVICE, uuid)
