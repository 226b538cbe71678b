"""Every wait has a deadline (issue 16, items 1 and 3, client side): a call fails with
the project's typed error within it, whatever the backend would have waited, and
leaves nothing behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from bleak import BleakClient
from bumble import gatt
from bumble.device import Connection

from harness.bleak_backend import BumbleClient
from harness.targets.virtual import VirtualTarget
from iqos.client import IqosClient
from iqos.errors import DeviceNotFound, OperationTimeout
from iqos.models import model_named
from iqos.protocol import Node
from iqos.protocol.registers import Register, read_request
from iqos.protocol.uuids import RRP_SERVICE, SCP_CONTROL_POINT
from iqos.scp_channel import ScpChannel
from tests.radio.peripheral import advertising_data
from tests.reliability.conftest import SLACK, options, peripheral_of, quiet, reachable, timed

pytestmark = pytest.mark.asyncio

TIMEOUT = 2.0


@pytest.mark.parametrize("bonded", [True, False], ids=["bonded", "new"])
async def test_a_device_gone_off_the_air_is_not_found_in_time(
    target: VirtualTarget, bonded: bool
) -> None:
    """The tester's case: paired, disconnected, device off the air, then a battery
    read with a 2 s timeout. bumble's `connect_le` looked for the bonded device by
    its identity address without a timeout, for ever; now it is one connect attempt
    with the remembered device and one scan, each by its deadline."""
    dut = await target.provide(model_named("IQOS 3 DUO"))
    peripheral = peripheral_of(target, dut)
    client = IqosClient(dut.address, dut.model, **options(TIMEOUT))
    if bonded:
        await client.pair()
    else:
        await client.connect()
    await client.disconnect()
    await peripheral.settled()  # advertising again after the disconnection
    await peripheral.radio.stop_advertising()

    outcome, took = await timed(client.battery())

    assert isinstance(outcome, DeviceNotFound), outcome
    assert took <= 2 * TIMEOUT + SLACK
    await quiet(target)
    await peripheral._advertise()
    await reachable(target, dut, paired=bonded)


class StuckControlPoint:
    """A peripheral whose control point never acknowledges a write (no ATT Write
    Response), as firmware stuck in its write handler would."""

    def __init__(self, target: VirtualTarget) -> None:
        self.device = target.link.add_device("stuck")
        self.release = asyncio.Event()
        self.writes = 0
        control_point: gatt.Characteristic[bytes] = gatt.Characteristic(
            SCP_CONTROL_POINT,
            gatt.Characteristic.Properties.WRITE | gatt.Characteristic.Properties.NOTIFY,
            gatt.Characteristic.Permissions.WRITEABLE,
            gatt.CharacteristicValue(write=self._hang),
        )
        self.device.add_services([gatt.Service(RRP_SERVICE, [control_point])])

    async def _hang(self, _connection: Connection, _value: bytes) -> None:
        self.writes += 1
        await self.release.wait()

    @property
    def address(self) -> str:
        return self.device.random_address.to_string(False)

    async def start(self) -> None:
        await self.device.power_on()
        await self.device.start_advertising(
            advertising_data=advertising_data("stuck", RRP_SERVICE),
            advertising_interval_min=20,
            advertising_interval_max=20,
            auto_restart=True,
        )


@pytest_asyncio.fixture
async def stuck(target: VirtualTarget) -> AsyncIterator[StuckControlPoint]:
    peripheral = StuckControlPoint(target)
    await peripheral.start()
    yield peripheral
    peripheral.release.set()


async def test_a_write_never_acknowledged_times_out_by_the_clients_deadline(
    target: VirtualTarget, stuck: StuckControlPoint
) -> None:
    """The ATT write waits up to 30 s for its response in bumble; the request's
    deadline is the client's. The write itself runs on in the radio (bumble would
    hand a late response to the next request), and goes with the link."""
    async with BleakClient(stuck.address, backend=BumbleClient, timeout=TIMEOUT) as raw:
        channel = ScpChannel(raw)
        await channel.start()
        outcome, took = await timed(
            channel.request(read_request(Node.CHARGER, Register.FIRMWARE_VERSION), 0.3)
        )
        assert isinstance(outcome, OperationTimeout), outcome
        assert took <= 0.3 + SLACK
        assert raw.is_connected and stuck.writes == 1
    await quiet(target)
    stuck.release.set()
    async with BleakClient(stuck.address, backend=BumbleClient, timeout=TIMEOUT) as fresh:
        await fresh.write_gatt_char(SCP_CONTROL_POINT, b"\x00", response=True)
    await quiet(target)


async def test_the_backends_own_timeout_is_an_operation_timeout_and_drops_the_link(
    target: VirtualTarget, stuck: StuckControlPoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bumble raises its own TimeoutError (not the built-in one) when an ATT request
    times out; the client must still say OperationTimeout, and the link goes, as
    BlueZ drops it: no further request may use the bearer. bumble's 30 s are
    shortened so that the backend's timeout comes first."""
    monkeypatch.setattr("bumble.gatt_client.GATT_REQUEST_TIMEOUT", 0.3)
    lost = asyncio.Event()
    async with BleakClient(
        stuck.address,
        backend=BumbleClient,
        timeout=TIMEOUT,
        disconnected_callback=lambda _client: lost.set(),
    ) as raw:
        channel = ScpChannel(raw)
        await channel.start()
        outcome, took = await timed(
            channel.request(read_request(Node.CHARGER, Register.FIRMWARE_VERSION), TIMEOUT)
        )
        assert isinstance(outcome, OperationTimeout), outcome
        assert took <= 0.3 + SLACK
        async with asyncio.timeout(1.0):
            await lost.wait()
        assert not raw.is_connected
    await quiet(target)
    stuck.release.set()
    async with BleakClient(stuck.address, backend=BumbleClient, timeout=TIMEOUT) as fresh:
        assert fresh.is_connected
    await quiet(target)
