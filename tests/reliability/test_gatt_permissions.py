"""What a device refuses, and how (issue 16, items 4 and 5). bumble's GATT server
checks an attribute's security bits only: before `enforce_permissions`, a write to
the battery value got no ATT response at all (the client waited 30 s), and a write
to a read-only string, even before pairing, was kept for the next client to read."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest
from bleak import BleakClient
from bleak.exc import BleakGATTProtocolError
from bleak.exc import BleakGATTProtocolErrorCode as Code

from harness.bleak_backend import BumbleClient
from harness.targets.base import DeviceUnderTest
from harness.targets.virtual import VirtualTarget
from iqos.client import IqosClient
from iqos.models import model_named
from iqos.protocol import BatteryInformation, uuids
from tests.reliability.conftest import SLACK, options, peripheral_of, quiet, reachable, timed

pytestmark = pytest.mark.asyncio

TIMEOUT = 2.0
OPEN_READ_ONLY = (
    uuids.MODEL_NUMBER,
    uuids.SERIAL_NUMBER,
    uuids.SOFTWARE_REVISION,
    uuids.MANUFACTURER_NAME,
    uuids.DEVICE_NAME,
    uuids.APPEARANCE,
)
"""Read-only values anyone may read: the Device Information strings and the GAP ones."""
READ_ONLY = (
    *OPEN_READ_ONLY,
    uuids.FIRMWARE_UPGRADE_CONTROL,
    uuids.FIRMWARE_UPGRADE_STATUS,
    uuids.BATTERY_INFORMATION,
    uuids.DEVICE_STATUS,
)
PROTECTED_NOTIFICATIONS = (
    uuids.SCP_CONTROL_POINT,
    uuids.BATTERY_INFORMATION,
    uuids.DEVICE_STATUS,
    uuids.FIRMWARE_UPGRADE_STATUS,
    uuids.UNKNOWN_WRITE_NOTIFY,
)
WRITE_ONLY = (
    uuids.SCP_CONTROL_POINT,
    uuids.UNKNOWN_WRITE_NO_RESPONSE,
    uuids.UNKNOWN_WRITE_NOTIFY,
)


async def refused(call: Awaitable[object]) -> Code:
    """The ATT error `call` got, which must come within the deadline."""
    outcome, took = await timed(call)
    assert isinstance(outcome, BleakGATTProtocolError), outcome
    assert took <= SLACK
    return outcome.code


async def connect(dut: DeviceUnderTest) -> BleakClient:
    raw = BleakClient(dut.address, backend=BumbleClient, timeout=TIMEOUT)
    await raw.connect()
    return raw


async def test_writing_battery_or_status_is_not_permitted(target: VirtualTarget) -> None:
    dut = await target.provide(model_named("IQOS 3 DUO"))
    raw = await connect(dut)
    await raw.pair()
    for uuid in (uuids.BATTERY_INFORMATION, uuids.DEVICE_STATUS):
        assert await refused(raw.write_gatt_char(uuid, b"\x0f\x00", response=True)) == (
            Code.WRITE_NOT_PERMITTED
        )
        await raw.write_gatt_char(uuid, b"\x0f\x00", response=False)  # dropped, no answer
    assert BatteryInformation.decode(bytes(await raw.read_gatt_char(uuids.BATTERY_INFORMATION)))
    await raw.disconnect()
    await quiet(target)
    await reachable(target, dut, paired=True)


async def test_read_only_values_refuse_writes_before_pairing_and_keep_their_value(
    target: VirtualTarget,
) -> None:
    """The tester wrote "ATTACKER-SERIAL" to the serial number unpaired, and the next,
    paired client read it back."""
    dut = await target.provide(model_named("IQOS 3 DUO"))
    raw = await connect(dut)
    served = {uuid: bytes(await raw.read_gatt_char(uuid)) for uuid in OPEN_READ_ONLY}
    for uuid in READ_ONLY:
        attack = b"ATTACKER-SERIAL"
        assert await refused(raw.write_gatt_char(uuid, attack, response=True)) == (
            Code.WRITE_NOT_PERMITTED
        )
        await raw.write_gatt_char(uuid, attack, response=False)
    await raw.disconnect()

    paired = IqosClient(dut.address, dut.model, **options(TIMEOUT))
    await paired.pair()
    assert await paired.serial(full=True) == peripheral_of(target, dut).device.profile.serial
    await paired.disconnect()
    again = await connect(dut)
    assert {uuid: bytes(await again.read_gatt_char(uuid)) for uuid in served} == served
    await again.disconnect()
    await quiet(target)
    await reachable(target, dut, paired=True)


async def test_protected_values_refuse_subscriptions_and_writes_until_paired(
    target: VirtualTarget,
) -> None:
    """A subscription would deliver what a read refuses, so its configuration
    descriptor (CCCD) needs the same security as the value. The backend pairs on
    that refusal, as BlueZ does (issue 15); with pairing refused, the refusal is
    what the subscription gets."""
    dut = await target.provide(model_named("IQOS 3 DUO"))
    raw = await connect(dut)
    await dut.hands.inject("refuse_pairing")
    for uuid in PROTECTED_NOTIFICATIONS:
        code = await refused(raw.start_notify(uuid, lambda _c, _d: None))
        assert code == Code.INSUFFICIENT_ENCRYPTION, uuid
    assert await refused(raw.write_gatt_char(uuids.SCP_CONTROL_POINT, b"\x00", True)) == (
        Code.INSUFFICIENT_ENCRYPTION
    )
    await dut.hands.clear("refuse_pairing")
    # On a new link: bumble's SMP never completes a pairing on a link whose last
    # pairing the peer refused (the SMP session ends after the DHKey check).
    await raw.disconnect()
    raw = await connect(dut)
    await raw.pair()
    notified = asyncio.Event()
    for uuid in PROTECTED_NOTIFICATIONS:
        await raw.start_notify(uuid, lambda _c, _d: notified.set())
    await dut.hands.set_battery("charger", 42)
    async with asyncio.timeout(TIMEOUT):
        await notified.wait()
    await raw.disconnect()
    await quiet(target)
    await reachable(target, dut, paired=True)


async def test_write_only_values_refuse_reads(target: VirtualTarget) -> None:
    """A read of the control point raised inside bumble's server and got no answer."""
    dut = await target.provide(model_named("IQOS 3 Multi"))
    raw = await connect(dut)
    await raw.pair()
    for uuid in WRITE_ONLY:
        assert await refused(raw.read_gatt_char(uuid)) == Code.READ_NOT_PERMITTED, uuid
    await raw.disconnect()
    await quiet(target)
    await reachable(target, dut, paired=True)
