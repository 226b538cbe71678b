"""Rules of the virtual air, checked with raw bumble devices on a VirtualLink."""

from __future__ import annotations

import asyncio

import pytest
from bumble import core, hci
from bumble.core import AdvertisingData
from bumble.device import Advertisement, Connection, Device
from bumble.keys import MemoryKeyStore
from bumble.pairing import PairingConfig, PairingDelegate

from simulator.radio.link import (
    DEFAULT_RSSI,
    LEGACY_ADVERTISING_DATA_LIMIT,
    VirtualController,
    VirtualLink,
)
from tests.radio.peripheral import PASSKEY, BarePeripheral

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(20)]

WAIT = 5.0


def data_of_length(length: int) -> bytes:
    """Advertising data of exactly `length` bytes: one manufacturer-specific AD structure."""
    return bytes([length - 1, AdvertisingData.MANUFACTURER_SPECIFIC_DATA]) + bytes(length - 2)


async def central(link: VirtualLink, name: str = "central") -> Device:
    device = link.add_device(name)
    await device.power_on()
    return device


async def first_advertisement(device: Device, address: hci.Address, active: bool) -> Advertisement:
    seen: asyncio.Future[Advertisement] = asyncio.get_running_loop().create_future()

    def on_advertisement(advertisement: Advertisement) -> None:
        if advertisement.address == address and not seen.done():
            seen.set_result(advertisement)

    device.on(device.EVENT_ADVERTISEMENT, on_advertisement)
    await device.start_scanning(active=active)
    try:
        return await asyncio.wait_for(seen, WAIT)
    finally:
        device.remove_listener(device.EVENT_ADVERTISEMENT, on_advertisement)
        await device.stop_scanning()


@pytest.mark.parametrize("field", ["advertising_data", "scan_response_data"])
async def test_legacy_advertising_data_is_limited_to_31_bytes(
    link: VirtualLink, field: str
) -> None:
    device = link.add_device("advertiser")
    await device.power_on()

    async def advertise(length: int) -> None:
        data = data_of_length(length)
        if field == "advertising_data":
            await device.start_advertising(advertising_data=data)
        else:
            await device.start_advertising(scan_response_data=data)

    await advertise(LEGACY_ADVERTISING_DATA_LIMIT)
    await device.stop_advertising()
    with pytest.raises(hci.HCI_Error) as failure:
        await advertise(LEGACY_ADVERTISING_DATA_LIMIT + 1)
    assert failure.value.error_code == hci.HCI_ErrorCode.INVALID_COMMAND_PARAMETERS_ERROR


async def test_rssi_is_settable_per_advertiser(
    link: VirtualLink, peripheral: BarePeripheral
) -> None:
    scanner = await central(link)
    address = peripheral.device.random_address
    advertisement = await first_advertisement(scanner, address, active=False)
    assert advertisement.rssi == DEFAULT_RSSI
    link.set_rssi(peripheral.address, -62)
    advertisement = await first_advertisement(scanner, address, active=False)
    assert advertisement.rssi == -62


async def test_scan_response_only_to_active_scanners(
    link: VirtualLink, peripheral: BarePeripheral
) -> None:
    scanner = await central(link)
    address = peripheral.device.random_address
    passive = await first_advertisement(scanner, address, active=False)
    active = await first_advertisement(scanner, address, active=True)
    manufacturer = AdvertisingData.MANUFACTURER_SPECIFIC_DATA
    assert passive.data.get(manufacturer) is None
    assert active.data.get(manufacturer) is not None
    assert active.data.get(AdvertisingData.COMPLETE_LOCAL_NAME) == peripheral.name


async def test_advertisers_are_idle_while_nobody_listens(
    link: VirtualLink, peripheral: BarePeripheral
) -> None:
    controller = link.controller_of(peripheral.device)
    assert controller.le_legacy_advertiser.enabled
    assert controller.le_legacy_advertiser.timer_handle is None
    scanner = await central(link)
    await first_advertisement(scanner, peripheral.device.random_address, active=True)
    # Once the scanner is gone, the advertiser stops at its next event.
    handle = controller.le_legacy_advertiser.timer_handle
    assert handle is not None
    fired = asyncio.Event()
    asyncio.get_running_loop().call_at(handle.when() + 0.001, fired.set)
    await asyncio.wait_for(fired.wait(), WAIT)
    assert controller.le_legacy_advertiser.timer_handle is None


async def test_duplicate_filter_reports_each_advertiser_once(
    link: VirtualLink, peripheral: BarePeripheral, other_peripheral: BarePeripheral
) -> None:
    scanner = await central(link)
    reports: list[hci.Address] = []
    both = asyncio.Event()

    def on_advertisement(advertisement: Advertisement) -> None:
        reports.append(advertisement.address)
        if len(set(reports)) == 2:
            both.set()

    scanner.on(scanner.EVENT_ADVERTISEMENT, on_advertisement)
    await scanner.start_scanning(active=True, filter_duplicates=True)
    await asyncio.wait_for(both.wait(), WAIT)
    # Wait for three more advertising events of the slower one, then count.
    ticks = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, ticks.set)
    await asyncio.wait_for(ticks.wait(), WAIT)
    await scanner.stop_scanning()
    assert sorted(map(str, reports)) == sorted({str(a) for a in reports})


async def test_connect_cancel_lets_the_next_connect_work(
    link: VirtualLink, peripheral: BarePeripheral
) -> None:
    device = await central(link)
    with pytest.raises(core.TimeoutError):
        await device.connect(hci.Address("C1:23:45:67:89:AB"), timeout=0.1)
    connection = await device.connect(peripheral.device.random_address, timeout=WAIT)
    assert connection.is_encrypted is False


async def test_removed_controller_drops_its_links(
    link: VirtualLink, peripheral: BarePeripheral
) -> None:
    device = await central(link)
    reasons: asyncio.Queue[int] = asyncio.Queue()
    await device.connect(peripheral.device.random_address, timeout=WAIT)
    await asyncio.wait_for(peripheral.connected.wait(), WAIT)
    assert peripheral.connection is not None
    peripheral.connection.on(peripheral.connection.EVENT_DISCONNECTION, reasons.put_nowait)
    link.remove_device(device)
    assert await asyncio.wait_for(reasons.get(), WAIT) == hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR
    # The peripheral advertises again and takes a new central.
    again = await central(link, "again")
    await again.connect(peripheral.device.random_address, timeout=WAIT)


# --- authentication --------------------------------------------------------------------


class _Keyboard(PairingDelegate):
    def __init__(self, passkey: int) -> None:
        super().__init__(io_capability=PairingDelegate.IoCapability.KEYBOARD_INPUT_ONLY)
        self._passkey = passkey

    async def get_number(self) -> int | None:
        return self._passkey


async def paired_central(link: VirtualLink, passkey: int | None) -> Device:
    device = await central(link)
    device.keystore = MemoryKeyStore()
    delegate = (
        _Keyboard(passkey)
        if passkey is not None
        else PairingDelegate(io_capability=PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT)
    )
    device.pairing_config_factory = lambda _c: PairingConfig(
        sc=True, mitm=passkey is not None, bonding=True, delegate=delegate
    )
    return device


async def peripheral_side(peripheral: BarePeripheral) -> Connection:
    await asyncio.wait_for(peripheral.connected.wait(), WAIT)
    assert peripheral.connection is not None
    return peripheral.connection


@pytest.mark.parametrize("mitm", [False, True], ids=["just-works", "passkey"])
async def test_authenticated_only_after_mitm_pairing(
    link: VirtualLink,
    peripheral: BarePeripheral,
    passkey_peripheral: BarePeripheral,
    mitm: bool,
) -> None:
    target = passkey_peripheral if mitm else peripheral
    device = await paired_central(link, PASSKEY if mitm else None)
    connection = await device.connect(target.device.random_address, timeout=WAIT)
    other_end = await peripheral_side(target)
    await connection.pair()
    assert connection.is_encrypted and other_end.is_encrypted
    assert connection.authenticated is mitm
    assert other_end.authenticated is mitm
    # A bonded reconnect encrypts with the stored key, which keeps its level.
    await connection.disconnect()
    await asyncio.wait_for(target.disconnected.wait(), WAIT)
    connection = await device.connect(target.device.random_address, timeout=WAIT)
    other_end = await peripheral_side(target)
    await connection.encrypt()
    assert connection.is_encrypted
    assert connection.authenticated is mitm
    assert other_end.authenticated is mitm


async def test_controllers_on_the_link_are_virtual(link: VirtualLink) -> None:
    device = link.add_device("any")
    controller = link.controller_of(device)
    assert isinstance(controller, VirtualController)
    assert link.find_le_controller(device.random_address) is controller
