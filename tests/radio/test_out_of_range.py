"""Out of range and back over the virtual radio: the link is lost as a supervision
timeout loses it, the device is not heard while away, and the app's bond brings the
link back once it returns."""

import asyncio
from typing import Any

import pytest
from bumble import hci
from bumble.device import Connection

from harness.operator import Instruction
from harness.targets.base import ActionRefused, TargetError
from harness.targets.simulator_hands import SimulatorHands
from harness.targets.virtual import VirtualTarget
from iqos.client import IqosClient
from iqos.discovery import discover
from iqos.errors import NotAdvertising
from iqos.models import model_named
from simulator.clock import SimulatedClock
from simulator.device import SimulatedDevice
from simulator.profile import find_profile
from tests.virtual_radio import on_radio

CONNECTION_TIMEOUT = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR


def state_of(snapshot: dict[str, Any] | None) -> dict[str, Any]:
    assert snapshot is not None, "a simulated device always has a snapshot"
    return snapshot


async def links_lost_by_the_app(target: VirtualTarget) -> asyncio.Queue[int]:
    """The HCI reason of each link the app's radio loses from now on."""
    assert target.radio is not None
    central = await target.radio.central()
    reasons: asyncio.Queue[int] = asyncio.Queue()

    def on_connection(connection: Connection) -> None:
        connection.on("disconnection", reasons.put_nowait)

    central.on("connection", on_connection)
    return reasons


@pytest.mark.parametrize("model", ["IQOS 2.4 Plus", "IQOS 3 DUO", "IQOS 3 Multi"])
def test_out_of_range_the_link_times_out_and_the_device_is_not_heard(model: str) -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named(model))
        options = target.client_options()
        client = IqosClient(device.address, device.model, **options)
        lost = await links_lost_by_the_app(target)
        await client.pair()
        await device.hands.act("go_out_of_range")
        assert await asyncio.wait_for(lost.get(), 5) == CONNECTION_TIMEOUT
        assert not client.connected
        state = state_of(await device.hands.snapshot())
        assert state["in_range"] is False
        found = await discover(1.0, **options)
        assert device.address not in {d.address for d in found}
        with pytest.raises(NotAdvertising):
            await client.connect()
        await device.hands.act("come_back_in_range")
        await client.connect()
        assert await client.is_paired()
        assert state_of(await device.hands.snapshot())["in_range"] is True

    on_radio(scenario, virtual_time=True)


def test_out_of_range_twice_or_back_while_in_range_is_refused_in_one_line() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        with pytest.raises(ActionRefused, match="in range already; take it out of range first"):
            await device.hands.act("come_back_in_range")
        await device.hands.act("go_out_of_range")
        with pytest.raises(ActionRefused, match="out of range already; bring it back first"):
            await device.hands.act("go_out_of_range")

    on_radio(scenario, virtual_time=True)


def test_out_of_range_on_an_unknown_device_names_the_devices() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 Multi"))
        assert isinstance(device.hands, SimulatorHands)
        stranger = SimulatorHands(device.hands.channel, "nobody")
        with pytest.raises(TargetError, match=r"^no device 'nobody'; devices: IQOS 3 Multi"):
            await stranger.act("go_out_of_range")

    on_radio(scenario, virtual_time=True)


def reconnecting_client(target: VirtualTarget, address: str, seconds: float = 30.0) -> IqosClient:
    options = target.client_options()
    return IqosClient(address, model_named("IQOS 3 DUO"), reconnect_seconds=seconds, **options)


def test_the_client_reconnects_on_its_own_with_its_bond_once_the_device_is_back() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        client = reconnecting_client(target, device.address)
        await client.pair()
        bonds = state_of(await device.hands.snapshot())["bonds"]
        await device.hands.act("go_out_of_range")
        assert client.reconnecting and not client.connected
        await device.hands.act("come_back_in_range")
        assert await client.reconnected()
        assert await client.is_paired()
        assert state_of(await device.hands.snapshot())["bonds"] == bonds

    on_radio(scenario, virtual_time=True)


def test_the_client_gives_up_reconnecting_by_its_deadline() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        client = reconnecting_client(target, device.address, seconds=5.0)
        await client.pair()
        await device.hands.act("go_out_of_range")
        started = asyncio.get_running_loop().time()
        assert not await client.reconnected()
        assert asyncio.get_running_loop().time() - started == pytest.approx(5.0, abs=0.5)
        await device.hands.act("come_back_in_range")
        assert not client.reconnecting and not client.connected

    on_radio(scenario, virtual_time=True)


def test_a_disconnect_the_app_asked_for_is_not_followed_by_a_reconnect() -> None:
    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        client = reconnecting_client(target, device.address)
        await client.pair()
        await client.disconnect()
        assert not client.reconnecting
        await client.unpair()
        assert not client.reconnecting

    on_radio(scenario, virtual_time=True)


def test_a_new_client_on_the_same_key_store_reconnects_without_pairing() -> None:
    """What a restarted app does: the bond is in the radio's key store, not the client."""

    async def scenario(target: VirtualTarget) -> None:
        device = await target.provide(model_named("IQOS 3 DUO"))
        first = reconnecting_client(target, device.address)
        await first.pair()
        await first.disconnect()
        assert await target.app_holds_bond(device.address)
        bonds = state_of(await device.hands.snapshot())["bonds"]
        restarted = reconnecting_client(target, device.address)
        restarted.reconnect_in_background()
        assert await restarted.reconnected()
        assert await restarted.is_paired()
        assert state_of(await device.hands.snapshot())["bonds"] == bonds
        await restarted.unpair()
        assert not await target.app_holds_bond(device.address)

    on_radio(scenario, virtual_time=True)


def test_a_radio_without_range_refuses_in_one_line() -> None:
    """The bluez target's devices have no wired range: the action says so, no trace."""
    subject = SimulatedDevice(find_profile("IQOS 3 DUO"), SimulatedClock(), "C0:11:22:33:44:55")
    hands = SimulatorHands.in_process(subject)
    with pytest.raises(TargetError) as refused:
        asyncio.run(hands.act("go_out_of_range"))
    assert str(refused.value) == (
        "IQOS 3 DUO 4455 cannot go out of range here: only the virtual radio takes a "
        "device out of range"
    )


def test_at_a_bench_the_operator_is_asked_to_carry_the_device_away_and_back() -> None:
    away = Instruction("go_out_of_range", "Bench DUO").text
    back = Instruction("come_back_in_range", "Bench DUO").text
    assert "Bench DUO" in away and "20 m" in away and "shielded box" in away
    assert back == "Bring Bench DUO back next to the app's adapter."
