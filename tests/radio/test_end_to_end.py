"""The client stack against simulated devices over the virtual radio: real ATT, GATT
and SMP through bumble, driven through bleak's public API."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.service import BleakGATTServiceCollection
from bleak.exc import BleakError

from harness.bleak_backend import BumbleClient, BumbleScanner
from harness.targets.virtual import VirtualTarget
from iqos.client import BLUEZ_RACE_RETRIES, CONNECT_ATTEMPTS, UNSIGNALLED_CONNECT, IqosClient
from iqos.discovery import discover
from iqos.errors import BadAnswer, Disconnected, NotSupported, OperationTimeout, PairingRefused
from iqos.models import model_named
from iqos.protocol import BatteryInformation, Node, PairingState, ShortFrame
from iqos.protocol.registers import Register
from iqos.protocol.transcript import Transcript
from iqos.protocol.uuids import BATTERY_INFORMATION, RRP_SERVICE, SCP_CONTROL_POINT
from tests.virtual_radio import OPTIONS, on_radio, simulated


@pytest.mark.parametrize("model", ["IQOS 2.4 Plus", "IQOS 3 DUO", "IQOS 3 Multi"])
def test_discover_pair_read_and_reset(model: str) -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named(model))
        found = await discover(2, until=lambda seen: device.address in seen, **OPTIONS)
        (entry,) = [d for d in found if d.address == device.address]
        assert entry.model is not None and entry.model.display_name == model
        assert entry.pairing_state is PairingState.PAIRING_MODE
        client = IqosClient(device.address, entry.model, **OPTIONS)
        assert not await client.is_paired()
        await client.pair()
        assert await client.is_paired()
        battery = await client.battery()
        assert battery.charger is not None and battery.charger.level is not None
        report = await client.diagnostics()
        assert report.healthy and "*" in report.serial
        await client.reset()
        assert simulated(target).bonds == set()

    on_radio(scenario)


def test_encrypted_read_before_pairing_fails_and_bonded_reconnect_reencrypts() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        async with BleakClient(device.address, backend=BumbleClient) as raw:
            with pytest.raises(BleakError, match="INSUFFICIENT_ENCRYPTION"):
                await raw.read_gatt_char(BATTERY_INFORMATION)
            await raw.pair()
            assert BatteryInformation.decode(bytes(await raw.read_gatt_char(BATTERY_INFORMATION)))
        async with BleakClient(device.address, backend=BumbleClient) as again:
            assert await again.read_gatt_char(BATTERY_INFORMATION)

    on_radio(scenario)


def test_refused_pairing_is_a_typed_error() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        await device.hands.inject("refuse_pairing")
        with pytest.raises(PairingRefused):
            await IqosClient(device.address, device.model, **OPTIONS).pair()

    on_radio(scenario)


def test_malformed_writes_get_no_answer_and_the_device_stays_up() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        answers: list[bytes] = []
        answered = asyncio.Event()

        def on_answer(_characteristic: object, data: bytearray) -> None:
            answers.append(bytes(data))
            answered.set()

        async with BleakClient(device.address, backend=BumbleClient) as raw:
            await raw.pair()
            await raw.start_notify(SCP_CONTROL_POINT, on_answer)
            good = ShortFrame(Node.CHARGER, Register.FIRMWARE_VERSION).encode()
            for bad in (
                good[:-1] + bytes((good[-1] ^ 1,)),  # bad CRC
                good[:3],  # truncated
                ShortFrame(Node.CHARGER, 0x3FF).encode(),  # unknown register
                ShortFrame(Node.D2, Register.FIRMWARE_VERSION).encode(),  # wrong node
                b"\x00" + bytes(9),  # a last fragment with nothing before it
                b"\x07\xc0",  # unknown fragment flag
            ):
                await raw.write_gatt_char(SCP_CONTROL_POINT, bad, response=True)
            await raw.write_gatt_char(SCP_CONTROL_POINT, good, response=True)
            await asyncio.wait_for(answered.wait(), 5)
        assert len(answers) == 1 and answers[0][:4] == bytes.fromhex("00 C0 88 00")

    on_radio(scenario)


def test_bad_crc_no_answer_and_disconnect_give_typed_errors_and_the_client_recovers() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 Multi"))
        client = IqosClient(device.address, device.model, **OPTIONS)
        await client.pair()
        for fault, error in (
            ("scp_bad_crc", BadAnswer),
            ("scp_no_answer", OperationTimeout),
            ("disconnect_after_operations", Disconnected),
        ):
            await device.hands.inject(fault)
            with pytest.raises(error):
                await client.firmware_version()
            await device.hands.clear(fault)
            assert (await client.firmware_version()).major == 5

    on_radio(scenario)


def test_notifications_arrive_between_requests() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        client = IqosClient(device.address, device.model, **OPTIONS)
        await client.pair()
        stream = await client.notifications()
        await device.hands.set_battery("charger", 42)
        assert (await client.firmware_version()).major == 5
        value = await asyncio.wait_for(anext(stream), 5)
        assert isinstance(value, BatteryInformation) and value.charger is not None
        assert value.charger.level == 42

    on_radio(scenario)


def test_unsolicited_disconnect_is_reported_and_a_requested_one_is_not() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        lost = asyncio.Event()
        raw = BleakClient(
            device.address, backend=BumbleClient, disconnected_callback=lambda _c: lost.set()
        )
        await raw.connect()
        await raw.disconnect()
        assert not lost.is_set()
        await raw.connect()
        await target._peripherals[-1].disconnect()
        await asyncio.wait_for(lost.wait(), 5)

    on_radio(scenario)


def test_passive_scan_gets_no_scan_response() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        seen = await BleakScanner.discover(
            0.3, return_adv=True, backend=BumbleScanner, scanning_mode="passive"
        )
        _, advertisement = seen[device.address]
        assert advertisement.local_name is None
        assert 0x0223 in advertisement.manufacturer_data
        active = await BleakScanner.find_device_by_name(device.name, 2, backend=BumbleScanner)
        assert active is not None and active.address == device.address

    on_radio(scenario)


def test_clock_and_usage_counters() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        client = IqosClient(device.address, device.model, **OPTIONS)
        await client.pair()
        moment = datetime(2026, 11, 24, 12, 30, tzinfo=UTC)
        await client.set_clock(moment)
        assert await client.clock() == moment
        await device.hands.act("remove_holder")
        await device.hands.act("start_heating")
        await device.hands.act("puff", count=3)
        await device.hands.pass_time(6 * 60)
        counters = await client.usage_counters()
        assert (counters.puffs, counters.days_used) == (3, 1)  # 0x8E counts puffs by default
        multi = await target.provide(model_named("IQOS 3 Multi"))
        with pytest.raises(NotSupported, match="not supported by IQOS 3 Multi"):
            await IqosClient(multi.address, multi.model, **OPTIONS).usage_counters()

    on_radio(scenario)


class UnsignalledConnects(BumbleClient):
    """Loses BlueZ's Connected race (iqos.client.UNSIGNALLED_CONNECT) `losses` times."""

    losses = 0
    attempts = 0

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        type(self).attempts += 1
        if type(self).attempts <= type(self).losses:
            raise BleakError(UNSIGNALLED_CONNECT)
        await super().connect(pair, **kwargs)


@pytest.mark.parametrize(
    ("losses", "connects"),
    [(BLUEZ_RACE_RETRIES, True), (BLUEZ_RACE_RETRIES + CONNECT_ATTEMPTS, False)],
)
def test_a_connect_bluez_never_signalled_is_tried_again(losses: int, connects: bool) -> None:
    class Losing(UnsignalledConnects):
        pass

    Losing.losses = losses

    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        client = IqosClient(device.address, device.model, **{**OPTIONS, "client_backend": Losing})
        if connects:
            await client.pair()
            assert (await client.battery()).charger is not None
        else:
            with pytest.raises(OperationTimeout, match=UNSIGNALLED_CONNECT):
                await client.pair()
        assert Losing.attempts == min(losses + 1, BLUEZ_RACE_RETRIES + CONNECT_ATTEMPTS)

    on_radio(scenario)


class EarlyServices(BumbleClient):
    """Shows `losses` times the services BlueZ signals before it has exported them
    (docs/bluez-lane.md): the RRP service and its characteristics are missing."""

    losses = 0
    attempts = 0

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        await super().connect(pair, **kwargs)
        type(self).attempts += 1
        if type(self).attempts <= type(self).losses:
            early = BleakGATTServiceCollection()
            for service in self.services:
                if service.uuid != RRP_SERVICE:
                    early.add_service(service)
            self.services = early


@pytest.mark.parametrize(
    ("losses", "connects"), [(BLUEZ_RACE_RETRIES, True), (BLUEZ_RACE_RETRIES + 1, False)]
)
def test_services_reported_before_they_are_exported_are_asked_for_again(
    losses: int, connects: bool
) -> None:
    class Early(EarlyServices):
        pass

    Early.losses = losses

    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        transcript = Transcript()
        client = IqosClient(
            device.address,
            device.model,
            transcript=transcript,
            **{**OPTIONS, "client_backend": Early},
        )
        if connects:
            await client.pair()
            assert (await client.battery()).charger is not None
            told = transcript.render()
            assert told.count("services reported without SCP control point") == losses
            assert "link lost" not in told
        else:
            missing = "SCP control point, battery information, device status"
            with pytest.raises(BadAnswer, match=f"serves no {missing}"):
                await client.pair()
            assert not client.connected
        assert Early.attempts == min(losses + 1, BLUEZ_RACE_RETRIES + 1)

    on_radio(scenario)
