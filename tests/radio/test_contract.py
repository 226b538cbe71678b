"""The bleak API contract: what IqosClient relies on, through public bleak API only.

Backend and device come from fixtures (conftest.py), so the same tests can run
on stock bleak and BlueZ. Where stock backends differ, the test says so.
"""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError

from tests.radio.conftest import ON_BLUEZ, on_bluez
from tests.radio.peripheral import (
    AUTHENTICATED_UUID,
    AUTHENTICATED_VALUE,
    CCCD_UUID,
    ENCRYPTED_UUID,
    INDICATE_UUID,
    MANUFACTURER_DATA,
    MANUFACTURER_ID,
    PASSKEY,
    READ_UUID,
    READ_VALUE,
    SECRET_VALUE,
    SERVICE_DATA,
    SERVICE_DATA_UUID,
    SERVICE_UUID,
    SETTING_UUID,
    TX_POWER,
    WRITE_NOTIFY_UUID,
    BarePeripheral,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(20)]

WAIT = 5.0
"""Seconds to wait for an event that, on the virtual radio, takes milliseconds."""
BRIEF = 2.0 if ON_BLUEZ else 0.2
"""A short scan: on BlueZ a device is heard within a second (docs/bluez-lane.md)."""

Scanner = type[BaseBleakScanner]
Client = type[BaseBleakClient]


async def find(scanner_backend: Scanner, peripheral: BarePeripheral) -> BLEDevice:
    device = await BleakScanner.find_device_by_address(
        peripheral.address, timeout=WAIT, backend=scanner_backend
    )
    assert device is not None
    return device


async def connected(client_backend: Client, device: BLEDevice | str) -> BleakClient:
    client = BleakClient(device, backend=client_backend, timeout=WAIT)
    await client.connect()
    return client


# --- scanning ------------------------------------------------------------------------


async def test_active_scan_reports_advertising_and_scan_response(
    scanner_backend: Scanner, peripheral: BarePeripheral
) -> None:
    seen: asyncio.Future[tuple[BLEDevice, AdvertisementData]] = (
        asyncio.get_running_loop().create_future()
    )

    def on_detection(device: BLEDevice, adv: AdvertisementData) -> None:
        if device.address == peripheral.address and not seen.done():
            seen.set_result((device, adv))

    async with BleakScanner(on_detection, backend=scanner_backend):
        device, adv = await asyncio.wait_for(seen, WAIT)

    assert device.name == peripheral.name
    assert adv.local_name == peripheral.name
    assert SERVICE_UUID in adv.service_uuids
    assert adv.manufacturer_data == {MANUFACTURER_ID: MANUFACTURER_DATA}
    if not ON_BLUEZ:  # more than the bless peripheral can fit (tests/radio/bless_peripheral.py)
        assert adv.tx_power == TX_POWER
        assert adv.service_data == {SERVICE_DATA_UUID: SERVICE_DATA}
    # btvirt reports no RSSI, and BlueZ passes HCI's "not available" (127) on.
    assert -127 <= adv.rssi <= 20 or (ON_BLUEZ and adv.rssi == 127)


@on_bluez("passive scanning needs BlueZ's experimental advertisement monitor")
async def test_passive_scan_gets_no_scan_response(
    scanner_backend: Scanner, peripheral: BarePeripheral
) -> None:
    seen: asyncio.Future[AdvertisementData] = asyncio.get_running_loop().create_future()

    def on_detection(device: BLEDevice, adv: AdvertisementData) -> None:
        if device.address == peripheral.address and not seen.done():
            seen.set_result(adv)

    async with BleakScanner(on_detection, scanning_mode="passive", backend=scanner_backend):
        adv = await asyncio.wait_for(seen, WAIT)

    assert adv.local_name == peripheral.name
    assert SERVICE_UUID in adv.service_uuids
    assert adv.manufacturer_data == {}
    assert adv.service_data == {}


async def test_discover_returns_advertisement_data(
    scanner_backend: Scanner, peripheral: BarePeripheral
) -> None:
    found = await BleakScanner.discover(timeout=BRIEF, return_adv=True, backend=scanner_backend)
    device, adv = found[peripheral.address]
    assert device.address == peripheral.address
    assert adv.manufacturer_data[MANUFACTURER_ID] == MANUFACTURER_DATA


async def test_find_by_address_name_and_filter(
    scanner_backend: Scanner, peripheral: BarePeripheral
) -> None:
    by_address = await BleakScanner.find_device_by_address(
        peripheral.address.lower(), timeout=WAIT, backend=scanner_backend
    )
    by_name = await BleakScanner.find_device_by_name(
        peripheral.name, timeout=WAIT, backend=scanner_backend
    )
    by_filter = await BleakScanner.find_device_by_filter(
        lambda _d, adv: MANUFACTURER_ID in adv.manufacturer_data,
        timeout=WAIT,
        backend=scanner_backend,
    )
    assert by_address is not None and by_name is not None and by_filter is not None
    assert by_address.address == by_name.address == by_filter.address == peripheral.address


async def test_find_missing_device_gives_none(
    scanner_backend: Scanner, peripheral: BarePeripheral
) -> None:
    missing = await BleakScanner.find_device_by_name("nobody", timeout=0.2, backend=scanner_backend)
    assert missing is None


@on_bluez("a second BleakScanner on the same adapter is refused (org.bluez.Error.InProgress)")
async def test_service_uuid_filter(
    scanner_backend: Scanner, peripheral: BarePeripheral, other_peripheral: BarePeripheral
) -> None:
    everyone: set[str] = set()
    filtered: set[str] = set()
    both_seen = asyncio.Event()

    def on_any(device: BLEDevice, _adv: AdvertisementData) -> None:
        # Both scanners hear each report at the same time, so once this one has
        # heard both devices, the filtered one has been offered both.
        everyone.add(device.address)
        if everyone >= {peripheral.address, other_peripheral.address}:
            both_seen.set()

    def on_filtered(device: BLEDevice, _adv: AdvertisementData) -> None:
        filtered.add(device.address)

    async with (
        BleakScanner(on_filtered, service_uuids=[SERVICE_UUID], backend=scanner_backend),
        BleakScanner(on_any, backend=scanner_backend),
    ):
        await asyncio.wait_for(both_seen.wait(), WAIT)

    assert everyone >= {peripheral.address, other_peripheral.address}
    assert filtered == {peripheral.address}


async def test_advertisement_data_generator(
    scanner_backend: Scanner, peripheral: BarePeripheral
) -> None:
    async with BleakScanner(backend=scanner_backend) as scanner:
        async with asyncio.timeout(WAIT):
            async for device, adv in scanner.advertisement_data():
                if device.address == peripheral.address:
                    name = adv.local_name
                    break
    assert name == peripheral.name
    assert peripheral.address in scanner.discovered_devices_and_advertisement_data


# --- connecting ----------------------------------------------------------------------


async def test_connect_and_discover_services(
    scanner_backend: Scanner, client_backend: Client, peripheral: BarePeripheral
) -> None:
    device = await find(scanner_backend, peripheral)
    async with BleakClient(device, backend=client_backend, timeout=WAIT) as client:
        assert client.is_connected
        service = client.services.get_service(SERVICE_UUID)
        assert service is not None
        read = service.get_characteristic(READ_UUID)
        write_notify = service.get_characteristic(WRITE_NOTIFY_UUID)
        indicate = service.get_characteristic(INDICATE_UUID)
        assert read is not None and write_notify is not None and indicate is not None
        assert read.properties == ["read"]
        assert set(write_notify.properties) == {
            "read",
            "write",
            "write-without-response",
            "notify",
        }
        assert indicate.properties == ["indicate"]
        assert write_notify.get_descriptor(CCCD_UUID) is not None
        assert client.services.get_characteristic(read.handle) is read
        handles = [c.handle for c in client.services.characteristics.values()]
        assert len(handles) == len(set(handles))
        assert read.service_uuid == SERVICE_UUID
    assert not client.is_connected


async def test_requested_services_only(client_backend: Client, peripheral: BarePeripheral) -> None:
    async with BleakClient(
        peripheral.address, services=[SERVICE_UUID], backend=client_backend, timeout=WAIT
    ) as client:
        assert [service.uuid for service in client.services] == [SERVICE_UUID]


async def test_connect_by_address(client_backend: Client, peripheral: BarePeripheral) -> None:
    async with BleakClient(peripheral.address, backend=client_backend, timeout=WAIT) as client:
        assert await client.read_gatt_char(READ_UUID) == READ_VALUE


async def test_connect_unknown_address_is_not_found(client_backend: Client) -> None:
    client = BleakClient("C1:23:45:67:89:AB", backend=client_backend, timeout=0.3)
    with pytest.raises(BleakDeviceNotFoundError):
        await client.connect()


async def test_connect_to_silent_device_times_out(
    scanner_backend: Scanner, client_backend: Client, peripheral: BarePeripheral
) -> None:
    device = await find(scanner_backend, peripheral)
    await peripheral.stop_advertising()
    client = BleakClient(device, backend=client_backend, timeout=0.3)
    with pytest.raises(TimeoutError):
        await client.connect()
    await peripheral.start()
    async with BleakClient(device, backend=client_backend, timeout=WAIT) as client:
        assert client.is_connected


@on_bluez("bleak's BlueZ backend reports 23 until the MTU is acquired (a private call)")
async def test_mtu_is_exchanged(client_backend: Client, peripheral: BarePeripheral) -> None:
    async with BleakClient(peripheral.address, backend=client_backend, timeout=WAIT) as client:
        assert client.mtu_size == 517
        characteristic = client.services.get_characteristic(WRITE_NOTIFY_UUID)
        assert characteristic is not None
        assert characteristic.max_write_without_response_size == 514
        long_value = bytes(range(256)) * 2
        await client.write_gatt_char(characteristic, long_value, response=True)
        assert await peripheral.written.get() == long_value


# --- reading, writing, notifications ---------------------------------------------------


async def test_read_and_write(client_backend: Client, peripheral: BarePeripheral) -> None:
    async with BleakClient(peripheral.address, backend=client_backend, timeout=WAIT) as client:
        assert await client.read_gatt_char(READ_UUID) == READ_VALUE
        await client.write_gatt_char(WRITE_NOTIFY_UUID, b"with", response=True)
        assert await peripheral.written.get() == b"with"
        await client.write_gatt_char(WRITE_NOTIFY_UUID, b"without", response=False)
        assert await asyncio.wait_for(peripheral.written.get(), WAIT) == b"without"
        assert await client.read_gatt_char(WRITE_NOTIFY_UUID) == b"without"


@on_bluez("the bare bless peripheral serves no descriptor of its own (bless 0.3)")
async def test_read_descriptor(client_backend: Client, peripheral: BarePeripheral) -> None:
    async with BleakClient(peripheral.address, backend=client_backend, timeout=WAIT) as client:
        characteristic = client.services.get_characteristic(WRITE_NOTIFY_UUID)
        assert characteristic is not None
        cccd = characteristic.get_descriptor(CCCD_UUID)
        setting = characteristic.get_descriptor(SETTING_UUID)
        assert cccd is not None and setting is not None
        assert await client.read_gatt_descriptor(cccd.handle) == b"\x00\x00"
        assert await client.read_gatt_descriptor(setting.handle) == b"\x00"
        await client.write_gatt_descriptor(setting.handle, b"\x07")
        assert await client.read_gatt_descriptor(setting.handle) == b"\x07"


async def test_notify(client_backend: Client, peripheral: BarePeripheral) -> None:
    received: asyncio.Queue[bytes] = asyncio.Queue()
    async with BleakClient(peripheral.address, backend=client_backend, timeout=WAIT) as client:
        await client.start_notify(
            WRITE_NOTIFY_UUID, lambda _c, data: received.put_nowait(bytes(data))
        )
        assert await asyncio.wait_for(peripheral.subscriptions.get(), WAIT) == (
            WRITE_NOTIFY_UUID,
            True,
            False,
        )
        await peripheral.notify(b"n1")
        await peripheral.notify(b"n2")
        assert await asyncio.wait_for(received.get(), WAIT) == bytearray(b"n1")
        assert await asyncio.wait_for(received.get(), WAIT) == bytearray(b"n2")
        await client.stop_notify(WRITE_NOTIFY_UUID)
        assert await asyncio.wait_for(peripheral.subscriptions.get(), WAIT) == (
            WRITE_NOTIFY_UUID,
            False,
            False,
        )


async def test_indicate(client_backend: Client, peripheral: BarePeripheral) -> None:
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def on_indication(_characteristic: object, data: bytearray) -> None:
        received.put_nowait(bytes(data))

    async with BleakClient(peripheral.address, backend=client_backend, timeout=WAIT) as client:
        await client.start_notify(INDICATE_UUID, on_indication)
        assert await asyncio.wait_for(peripheral.subscriptions.get(), WAIT) == (
            INDICATE_UUID,
            False,
            True,
        )
        # An indication returns once the client has confirmed it.
        await asyncio.wait_for(peripheral.send_indication(b"i1"), WAIT)
        assert await asyncio.wait_for(received.get(), WAIT) == b"i1"


# --- pairing -------------------------------------------------------------------------


@on_bluez("BlueZ raises the security level by itself on this error and pairs (Just Works)")
async def test_encrypted_read_fails_before_pairing_and_works_after(
    client_backend: Client, peripheral: BarePeripheral
) -> None:
    """Stock BlueZ raises the security level by itself on this error, and may pair;
    this backend leaves pairing to the caller, which is what IqosClient does."""
    async with BleakClient(peripheral.address, backend=client_backend, timeout=WAIT) as client:
        with pytest.raises(BleakGATTProtocolError) as failure:
            await client.read_gatt_char(ENCRYPTED_UUID)
        assert "Insufficient Encryption" in str(failure.value)
        assert isinstance(failure.value, BleakError)
        await client.pair()
        assert await client.read_gatt_char(ENCRYPTED_UUID) == SECRET_VALUE


async def test_bonded_reconnect_re_encrypts(
    client_backend: Client, peripheral: BarePeripheral
) -> None:
    async with BleakClient(peripheral.address, backend=client_backend, timeout=WAIT) as client:
        await client.pair()
    await asyncio.wait_for(peripheral.disconnected.wait(), WAIT)
    # A new client, no pair(): the bond alone must encrypt the link.
    async with BleakClient(peripheral.address, backend=client_backend, timeout=WAIT) as client:
        assert await client.read_gatt_char(ENCRYPTED_UUID) == SECRET_VALUE
        if not ON_BLUEZ:  # BlueZ does not say whether a peripheral's link is encrypted
            assert peripheral.connection is not None and peripheral.connection.is_encrypted


async def test_pair_on_connect(client_backend: Client, peripheral: BarePeripheral) -> None:
    async with BleakClient(
        peripheral.address, backend=client_backend, timeout=WAIT, pair=True
    ) as client:
        assert await client.read_gatt_char(ENCRYPTED_UUID) == SECRET_VALUE


@on_bluez(
    "the read after unpairing re-pairs over the bond the peripheral kept, which crashes "
    "Linux 6.1 (docs/bluez-lane.md)"
)
async def test_unpair_forgets_the_bond(client_backend: Client, peripheral: BarePeripheral) -> None:
    client = await connected(client_backend, peripheral.address)
    await client.pair()
    await client.unpair()
    assert not client.is_connected
    async with BleakClient(peripheral.address, backend=client_backend, timeout=WAIT) as client:
        with pytest.raises(BleakGATTProtocolError):
            await client.read_gatt_char(ENCRYPTED_UUID)


@on_bluez("bless 0.3 has no authenticated-read permission to serve")
async def test_just_works_is_not_authenticated(
    client_backend: Client, peripheral: BarePeripheral
) -> None:
    async with BleakClient(peripheral.address, backend=client_backend, timeout=WAIT) as client:
        await client.pair()
        with pytest.raises(BleakGATTProtocolError) as failure:
            await client.read_gatt_char(AUTHENTICATED_UUID)
        assert "Insufficient Authentication" in str(failure.value)


@on_bluez("no agent here displays a passkey for the peripheral")
async def test_passkey_pairing_is_authenticated(
    client_backend: Client, passkey_peripheral: BarePeripheral
) -> None:
    address = passkey_peripheral.address
    async with BleakClient(address, backend=client_backend, timeout=WAIT) as client:
        await client.pair(passkey=PASSKEY)
        assert await client.read_gatt_char(AUTHENTICATED_UUID) == AUTHENTICATED_VALUE
    await asyncio.wait_for(passkey_peripheral.disconnected.wait(), WAIT)
    async with BleakClient(address, backend=client_backend, timeout=WAIT) as client:
        assert await client.read_gatt_char(AUTHENTICATED_UUID) == AUTHENTICATED_VALUE


@on_bluez("no agent here displays a passkey for the peripheral")
async def test_wrong_passkey_fails_pairing(
    client_backend: Client, passkey_peripheral: BarePeripheral
) -> None:
    address = passkey_peripheral.address
    async with BleakClient(address, backend=client_backend, timeout=WAIT) as client:
        with pytest.raises(BleakError, match="Pairing"):
            await client.pair(passkey=PASSKEY + 1)


# --- disconnecting -------------------------------------------------------------------


async def test_unsolicited_disconnect_calls_back(
    client_backend: Client, peripheral: BarePeripheral
) -> None:
    lost = asyncio.Event()
    client = BleakClient(
        peripheral.address,
        disconnected_callback=lambda _client: lost.set(),
        backend=client_backend,
        timeout=WAIT,
    )
    await client.connect()
    await asyncio.wait_for(peripheral.connected.wait(), WAIT)
    await peripheral.disconnect()
    await asyncio.wait_for(lost.wait(), WAIT)
    assert not client.is_connected
    # The same client connects again, once the peripheral advertises again.
    lost.clear()
    await client.connect()
    assert await client.read_gatt_char(READ_UUID) == READ_VALUE
    await client.disconnect()


async def test_requested_disconnect_does_not_call_back(
    client_backend: Client, peripheral: BarePeripheral
) -> None:
    """Stock BlueZ backend (bleak 3.1) calls back here too; bleak documents the
    callback as being for unsolicited disconnects only, which this backend follows."""
    calls: list[BleakClient] = []
    client = BleakClient(
        peripheral.address,
        disconnected_callback=calls.append,
        backend=client_backend,
        timeout=WAIT,
    )
    await client.connect()
    await client.disconnect()
    await asyncio.wait_for(peripheral.disconnected.wait(), WAIT)
    assert calls == ([client] if ON_BLUEZ else [])
    assert not client.is_connected
