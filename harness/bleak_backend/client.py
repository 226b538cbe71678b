"""bleak client backend over the virtual radio: real ATT, GATT and SMP through bumble."""

from __future__ import annotations

import contextlib
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError
from bumble import att, core, gatt, hci
from bumble.device import Connection, Peer
from bumble.gatt_client import CharacteristicProxy

from harness.bleak_backend.radio import current
from harness.bleak_backend.uuids import bleak_uuid

_PROPERTIES = {
    gatt.Characteristic.Properties.BROADCAST: "broadcast",
    gatt.Characteristic.Properties.READ: "read",
    gatt.Characteristic.Properties.WRITE_WITHOUT_RESPONSE: "write-without-response",
    gatt.Characteristic.Properties.WRITE: "write",
    gatt.Characteristic.Properties.NOTIFY: "notify",
    gatt.Characteristic.Properties.INDICATE: "indicate",
    gatt.Characteristic.Properties.AUTHENTICATED_SIGNED_WRITES: "authenticated-signed-writes",
    gatt.Characteristic.Properties.EXTENDED_PROPERTIES: "extended-properties",
}


def _att_error(error: att.ATT_Error, what: str) -> BleakError:
    return BleakError(f"{what} failed: ATT error {error.error_name} (0x{error.error_code:02X})")


class BumbleClient(BaseBleakClient):
    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.pop("disconnected_callback", None),
            timeout=kwargs.pop("timeout", 10.0),
        )
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._proxies: dict[int, CharacteristicProxy[bytes]] = {}
        self._leaving = False

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        device = await current().central()
        timeout = kwargs.get("timeout", self._timeout)
        try:
            connection = await device.connect(
                hci.Address(self.address, hci.Address.RANDOM_DEVICE_ADDRESS), timeout=timeout
            )
        except (core.TimeoutError, TimeoutError):
            raise BleakDeviceNotFoundError(
                self.address, f"device {self.address} was not found (not advertising)"
            ) from None
        self._connection = connection
        self._leaving = False
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        if await self.is_bonded():
            # If the device lost its keys (it was reset), the link stays up but
            # unencrypted, as on BlueZ, and encrypted reads fail until pairing.
            with contextlib.suppress(hci.HCI_Error):
                await connection.encrypt()
        self._peer = Peer(connection)
        await self._discover(self._peer)
        if pair:
            await self.pair()

    async def _discover(self, peer: Peer) -> None:
        await peer.discover_services()
        collection = BleakGATTServiceCollection()
        for service in peer.services:
            await service.discover_characteristics()
            bleak_service = BleakGATTService(service, service.handle, bleak_uuid(service.uuid))
            collection.add_service(bleak_service)
            for characteristic in service.characteristics:
                await characteristic.discover_descriptors()
                properties = [
                    name for flag, name in _PROPERTIES.items() if characteristic.properties & flag
                ]
                bleak_characteristic = BleakGATTCharacteristic(
                    characteristic,
                    characteristic.handle,
                    bleak_uuid(characteristic.uuid),
                    properties,  # type: ignore[arg-type]
                    lambda: self.mtu_size - 3,
                    bleak_service,
                )
                collection.add_characteristic(bleak_characteristic)
                self._proxies[characteristic.handle] = characteristic
                for descriptor in characteristic.descriptors:
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor,
                            descriptor.handle,
                            bleak_uuid(descriptor.type),
                            bleak_characteristic,
                        )
                    )
        self.services = collection

    def _on_disconnection(self, _reason: int) -> None:
        self._connection = None
        self._peer = None
        if not self._leaving and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        if self._connection is None:
            return
        self._leaving = True
        with contextlib.suppress(core.BaseBumbleError, hci.HCI_Error):
            await self._connection.disconnect()
        self._connection = None
        self._peer = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        connection = self._require()
        try:
            await connection.pair()
        except (core.ProtocolError, hci.HCI_Error, core.BaseBumbleError) as error:
            raise BleakError(f"pairing with {self.address} failed: {error}") from error

    def _bond_names(self) -> tuple[str, str]:
        """bumble files keys under the identity address, with /P when it is public."""
        return (self.address.upper(), f"{self.address.upper()}/P")

    async def unpair(self) -> None:
        keystore = current().keystore
        for name in self._bond_names():
            if await keystore.get(name) is not None:
                await keystore.delete(name)
        await self.disconnect()

    async def is_bonded(self) -> bool:
        keystore = current().keystore
        for name in self._bond_names():
            if await keystore.get(name) is not None:
                return True
        return False

    def _require(self) -> Connection:
        if self._connection is None:
            raise BleakError(f"not connected to {self.address}")
        return self._connection

    def _proxy(self, characteristic: BleakGATTCharacteristic) -> CharacteristicProxy[bytes]:
        self._require()
        return self._proxies[characteristic.handle]

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        try:
            return bytearray(await self._proxy(characteristic).read_value())
        except att.ATT_Error as error:
            raise _att_error(error, f"reading {characteristic.uuid}") from error

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        peer = self._peer
        if peer is None:
            raise BleakError(f"not connected to {self.address}")
        try:
            return bytearray(await peer.read_value(descriptor.handle))
        except att.ATT_Error as error:
            raise _att_error(error, f"reading descriptor {descriptor.uuid}") from error

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        try:
            await self._proxy(characteristic).write_value(bytes(data), with_response=response)
        except att.ATT_Error as error:
            raise _att_error(error, f"writing {characteristic.uuid}") from error

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        peer = self._peer
        if peer is None:
            raise BleakError(f"not connected to {self.address}")
        try:
            await peer.write_value(descriptor.handle, bytes(data), with_response=True)
        except att.ATT_Error as error:
            raise _att_error(error, f"writing descriptor {descriptor.uuid}") from error

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        proxy = self._proxy(characteristic)
        prefer_notify = "notify" in characteristic.properties
        try:
            await proxy.subscribe(
                lambda value: callback(bytearray(value)), prefer_notify=prefer_notify
            )
        except att.ATT_Error as error:
            raise _att_error(error, f"subscribing to {characteristic.uuid}") from error

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        try:
            await self._proxy(characteristic).unsubscribe(force=True)
        except att.ATT_Error as error:
            raise _att_error(error, f"unsubscribing from {characteristic.uuid}") from error
