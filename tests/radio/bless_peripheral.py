"""The contract suite's bare peripheral on bless over BlueZ, for running the bleak
contract against stock bleak in the guest (tests/radio/conftest.py picks it).

It serves the same service and characteristics as peripheral.BarePeripheral,
and advertises through an LEAdvertisement1 of its own (bless' carries only a
name and a service): the name, the service and the manufacturer data. The
service data and TX power do not fit: BlueZ 5.66 puts only the name into the
scan response (its scan-response properties are experimental), and legacy
advertising data is 31 bytes; an advertisement that does not fit fails in the
kernel after BlueZ has accepted it ("Invalid Parameters").
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from bless import BlessServer  # type: ignore[attr-defined]  # chosen per platform
from bless.backends.attribute import GATTAttributePermissions as Permission
from bless.backends.characteristic import GATTCharacteristicProperties as Property
from dbus_fast import Variant
from dbus_fast.aio import MessageBus

from simulator.radio.bluez_bus import call
from simulator.radio.bluez_host import ADAPTER, PROPERTIES, BluezController, adapter_address
from simulator.radio.bluez_objects import LEAdvertisement
from tests.radio.peripheral import (
    AUTHENTICATED_UUID,
    AUTHENTICATED_VALUE,
    ENCRYPTED_UUID,
    INDICATE_UUID,
    MANUFACTURER_DATA,
    MANUFACTURER_ID,
    READ_UUID,
    READ_VALUE,
    SECRET_VALUE,
    SERVICE_UUID,
    WRITE_NOTIFY_UUID,
)


class BlessBarePeripheral:
    """The interface of peripheral.BarePeripheral that the contract tests use."""

    def __init__(
        self, bus: MessageBus, adapter: str, name: str = "hilp", service_uuid: str = SERVICE_UUID
    ) -> None:
        self.bus = bus
        self.adapter = adapter
        self.name = name
        self.service_uuid = service_uuid
        self.address = ""
        self.written: asyncio.Queue[bytes] = asyncio.Queue()
        self.subscriptions: asyncio.Queue[tuple[str, bool, bool]] = asyncio.Queue()
        self.connected = asyncio.Event()
        self.disconnected = asyncio.Event()
        self.controller = BluezController(
            bus, adapter, lambda _peer: None, self._on_left, self._on_joined
        )
        self._last_written = b""
        self._advertisements: list[str] = []
        self._subscribed: list[str] = []
        self.server = BlessServer(name=name, adapter=adapter)
        self.server.read_request_func = self._read
        self.server.write_request_func = self._write

    def _on_joined(self, _peer: str) -> None:
        self.disconnected.clear()
        self.connected.set()

    def _on_left(self, _peer: str) -> None:
        self.connected.clear()
        self.disconnected.set()

    def _read(self, characteristic: Any, **_: Any) -> bytearray:
        if str(characteristic.uuid).lower() == WRITE_NOTIFY_UUID:
            return bytearray(self._last_written)
        return bytearray(characteristic.value or b"")

    def _write(self, characteristic: Any, value: Any, **_: Any) -> None:
        self._last_written = bytes(value)
        self.written.put_nowait(bytes(value))

    def _on_subscription_change(self, _unused: object) -> None:
        """bless tells that a subscription changed, not which; its list tells, after."""
        asyncio.get_running_loop().call_soon(self._compare_subscriptions)

    def _compare_subscriptions(self) -> None:
        now = list(self.server.app.subscribed_characteristics)
        for uuid in set(now) - set(self._subscribed):
            indicate = uuid.lower() == INDICATE_UUID
            self.subscriptions.put_nowait((uuid.lower(), not indicate, indicate))
        for uuid in set(self._subscribed) - set(now):
            self.subscriptions.put_nowait((uuid.lower(), False, False))
        self._subscribed = now

    async def start(self) -> None:
        await self.server.setup_task
        self.server.app.base_path = f"/org/iqoshil/contract/{self.adapter}/gatt"
        self.server.app.StartNotify = self._on_subscription_change
        self.server.app.StopNotify = self._on_subscription_change
        if not self.address:
            self.address = await adapter_address(self.bus, self.adapter)
            await self._serve()
        await self.controller.watch()
        await self._advertise()

    async def _serve(self) -> None:
        readable = Permission.readable
        table: dict[str, dict[str, dict[str, Any]]] = {
            self.service_uuid: {
                READ_UUID: {"Properties": Property.read, "Permissions": readable,
                            "Value": bytearray(READ_VALUE)},
                ENCRYPTED_UUID: {"Properties": Property.read,
                                 "Permissions": readable | Permission.read_encryption_required,
                                 "Value": bytearray(SECRET_VALUE)},
                AUTHENTICATED_UUID: {"Properties": Property.read,
                                     "Permissions": readable | Permission.read_encryption_required,
                                     "Value": bytearray(AUTHENTICATED_VALUE)},
                WRITE_NOTIFY_UUID: {
                    "Properties": Property.read | Property.write
                    | Property.write_without_response | Property.notify,
                    "Permissions": readable | Permission.writeable, "Value": bytearray()},
                INDICATE_UUID: {"Properties": Property.indicate, "Permissions": readable,
                                "Value": bytearray()},
            }
        }  # fmt: skip
        await self.server.add_gatt(table)
        self.server.bus.export(self.server.app.path, self.server.app)
        await self.server.app.register(self.server.adapter)

    async def _advertise(self) -> None:
        await call(self.bus, f"/org/bluez/{self.adapter}", PROPERTIES, "Set", "ssv",
                   [ADAPTER, "Alias", Variant("s", self.name)])  # fmt: skip
        for copy in (1, 2):
            path = f"/org/iqoshil/contract/{self.adapter}/advertisement{copy}"
            advertisement = LEAdvertisement(
                self.name, [self.service_uuid], {MANUFACTURER_ID: MANUFACTURER_DATA}, tx_power=False
            )
            self.bus.export(path, advertisement)
            self._advertisements.append(path)
            await call(self.bus, f"/org/bluez/{self.adapter}", "org.bluez.LEAdvertisingManager1",
                       "RegisterAdvertisement", "oa{sv}", [path, {}])  # fmt: skip

    async def stop_advertising(self) -> None:
        paths, self._advertisements = self._advertisements, []
        for path in paths:
            with contextlib.suppress(Exception):
                await call(self.bus, f"/org/bluez/{self.adapter}",
                           "org.bluez.LEAdvertisingManager1", "UnregisterAdvertisement", "o",
                           [path])  # fmt: skip
            self.bus.unexport(path)

    async def stop(self) -> None:
        """Off the air, GATT application gone, every peer forgotten on this side."""
        await self.controller.unwatch()
        await self.stop_advertising()
        await self.controller.forget_peers()
        await self.server.app.unregister(self.server.adapter)
        self.server.bus.unexport(self.server.app.path, self.server.app)
        self.server.bus.disconnect()

    async def notify(self, value: bytes) -> None:
        self.server.get_characteristic(WRITE_NOTIFY_UUID).value = bytearray(value)
        self.server.update_value(self.service_uuid, WRITE_NOTIFY_UUID)

    async def send_indication(self, value: bytes) -> None:
        self.server.get_characteristic(INDICATE_UUID).value = bytearray(value)
        self.server.update_value(self.service_uuid, INDICATE_UUID)

    async def disconnect(self) -> None:
        await self.controller.disconnect()
