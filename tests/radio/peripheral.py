"""A bare bumble peripheral for the radio tests: a small GATT server, nothing about IQOS.

It advertises the fields the contract checks (name, service UUID and TX power in
the advertising data; manufacturer and service data only in the scan response)
and serves one readable, one encrypted-readable, one authenticated-readable, one
writable+notify and one indicate characteristic.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable

from bumble import gatt, hci
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.keys import MemoryKeyStore
from bumble.pairing import PairingConfig, PairingDelegate

SERVICE_UUID = "7e1a0001-8c2b-4a54-9f3e-0d4b6c2a9e10"
OTHER_SERVICE_UUID = "7e1a0002-8c2b-4a54-9f3e-0d4b6c2a9e10"
READ_UUID = "7e1a1001-8c2b-4a54-9f3e-0d4b6c2a9e10"
ENCRYPTED_UUID = "7e1a1002-8c2b-4a54-9f3e-0d4b6c2a9e10"
AUTHENTICATED_UUID = "7e1a1003-8c2b-4a54-9f3e-0d4b6c2a9e10"
WRITE_NOTIFY_UUID = "7e1a1004-8c2b-4a54-9f3e-0d4b6c2a9e10"
INDICATE_UUID = "7e1a1005-8c2b-4a54-9f3e-0d4b6c2a9e10"
CCCD_UUID = "00002902-0000-1000-8000-00805f9b34fb"
SETTING_UUID = "7e1a2001-8c2b-4a54-9f3e-0d4b6c2a9e10"
SERVICE_DATA_UUID = "0000feed-0000-1000-8000-00805f9b34fb"

READ_VALUE = b"hello"
SECRET_VALUE = b"secret"
AUTHENTICATED_VALUE = b"mitm-only"
MANUFACTURER_ID = 0x0FFE
MANUFACTURER_DATA = b"\x01\x02\x03\x04"
SERVICE_DATA = b"\x05\x06"
TX_POWER = -8
PASSKEY = 123456
INTERVAL_MS = 20

_P = gatt.Characteristic.Properties
_R = gatt.Characteristic.Permissions


def advertising_data(name: str, service_uuid: str) -> bytes:
    return bytes(
        AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes([0x06])),
                (AdvertisingData.COMPLETE_LOCAL_NAME, name.encode()),
                (
                    AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                    bytes(UUID(service_uuid)),
                ),
                (AdvertisingData.TX_POWER_LEVEL, struct.pack("b", TX_POWER)),
            ]
        )
    )


def scan_response_data() -> bytes:
    return bytes(
        AdvertisingData(
            [
                (
                    AdvertisingData.MANUFACTURER_SPECIFIC_DATA,
                    struct.pack("<H", MANUFACTURER_ID) + MANUFACTURER_DATA,
                ),
                (
                    AdvertisingData.SERVICE_DATA_16_BIT_UUID,
                    struct.pack("<H", 0xFEED) + SERVICE_DATA,
                ),
            ]
        )
    )


class _DisplayDelegate(PairingDelegate):
    """Shows a fixed passkey, so that the central can type it: MITM-protected pairing."""

    def __init__(self) -> None:
        super().__init__(io_capability=PairingDelegate.IoCapability.DISPLAY_OUTPUT_ONLY)

    async def generate_passkey(self) -> int:
        return PASSKEY


class BarePeripheral:
    def __init__(
        self,
        device: Device,
        name: str = "hilp",
        service_uuid: str = SERVICE_UUID,
        passkey: bool = False,
    ) -> None:
        self.device = device
        self.name = name
        self.service_uuid = service_uuid
        self.connection: Connection | None = None
        self.written: asyncio.Queue[bytes] = asyncio.Queue()
        self.subscriptions: asyncio.Queue[tuple[str, bool, bool]] = asyncio.Queue()
        self.connected = asyncio.Event()
        self.disconnected = asyncio.Event()
        self.keystore = MemoryKeyStore()
        device.keystore = self.keystore
        device.pairing_config_factory = lambda _connection: PairingConfig(
            sc=True,
            mitm=passkey,
            bonding=True,
            identity_address_type=PairingConfig.AddressType.RANDOM,
            delegate=_DisplayDelegate()
            if passkey
            else PairingDelegate(io_capability=PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT),
        )
        self.write_notify: gatt.Characteristic[bytes] = gatt.Characteristic(
            WRITE_NOTIFY_UUID,
            _P.READ | _P.WRITE | _P.WRITE_WITHOUT_RESPONSE | _P.NOTIFY,
            _R.READABLE | _R.WRITEABLE,
            gatt.CharacteristicValue(read=self._read_written, write=self._on_write),
            descriptors=[gatt.Descriptor(SETTING_UUID, _R.READABLE | _R.WRITEABLE, b"\x00")],
        )
        self.indicate: gatt.Characteristic[bytes] = gatt.Characteristic(
            INDICATE_UUID, _P.INDICATE, _R.READABLE, b""
        )
        self._last_written = b""
        characteristics: list[gatt.Characteristic[bytes]] = [
            gatt.Characteristic(READ_UUID, _P.READ, _R.READABLE, READ_VALUE),
            gatt.Characteristic(
                ENCRYPTED_UUID, _P.READ, _R.READABLE | _R.READ_REQUIRES_ENCRYPTION, SECRET_VALUE
            ),
            gatt.Characteristic(
                AUTHENTICATED_UUID,
                _P.READ,
                _R.READABLE | _R.READ_REQUIRES_AUTHENTICATION,
                AUTHENTICATED_VALUE,
            ),
            self.write_notify,
            self.indicate,
        ]
        for characteristic in (self.write_notify, self.indicate):
            characteristic.on(
                characteristic.EVENT_SUBSCRIPTION, self._subscription_listener(characteristic)
            )
        device.add_services([gatt.Service(service_uuid, characteristics)])
        device.on(device.EVENT_CONNECTION, self._on_connection)

    def _subscription_listener(
        self, characteristic: gatt.Characteristic[bytes]
    ) -> Callable[[object, bool, bool], None]:
        uuid = str(characteristic.uuid).lower()

        def on_subscription(_bearer: object, notify: bool, indicate: bool) -> None:
            self.subscriptions.put_nowait((uuid, notify, indicate))

        return on_subscription

    @property
    def address(self) -> str:
        return self.device.random_address.to_string(False)

    def _read_written(self, _connection: Connection) -> bytes:
        return self._last_written

    def _on_write(self, _connection: Connection, value: bytes) -> None:
        self._last_written = bytes(value)
        self.written.put_nowait(bytes(value))

    def _on_connection(self, connection: Connection) -> None:
        self.connection = connection
        self.disconnected.clear()
        self.connected.set()
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)

    def _on_disconnection(self, _reason: int) -> None:
        self.connection = None
        self.connected.clear()
        self.disconnected.set()

    async def start(self, interval_ms: float = INTERVAL_MS) -> None:
        await self.device.power_on()
        await self.device.start_advertising(
            advertising_data=advertising_data(self.name, self.service_uuid),
            scan_response_data=scan_response_data(),
            advertising_interval_min=interval_ms,
            advertising_interval_max=interval_ms,
            own_address_type=hci.OwnAddressType.RANDOM,
            auto_restart=True,
        )

    async def stop_advertising(self) -> None:
        await self.device.stop_advertising()

    async def notify(self, value: bytes) -> None:
        assert self.connection is not None
        await self.device.notify_subscriber(self.connection, self.write_notify, value)

    async def send_indication(self, value: bytes) -> None:
        assert self.connection is not None
        await self.device.indicate_subscriber(self.connection, self.indicate, value)

    async def disconnect(self) -> None:
        assert self.connection is not None
        await self.connection.disconnect()
