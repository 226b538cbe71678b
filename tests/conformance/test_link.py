"""The rest of docs/protocol.md's table, to each model over the virtual radio: the
battery and status frames, advertising and what it tells of the model, security on
subscribing, notifications on subscribing, the advertising window and a stray
fragment. Each behaviour that rests on incomplete evidence is checked under each
value of its profile key."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from bleak import BleakClient
from bleak.exc import BleakGATTProtocolError
from bleak.exc import BleakGATTProtocolErrorCode as Code

from harness.bleak_backend import BumbleClient
from harness.targets.base import TargetError
from harness.targets.virtual import VirtualTarget
from iqos.client import IqosClient
from iqos.discovery import discover
from iqos.errors import DeviceNotFound
from iqos.models import model_named
from iqos.protocol import BatteryInformation, DeviceStatus, PairingState, uuids
from simulator.profile import AmbientByte
from tests.conformance.conftest import (
    MODELS,
    TIMEOUT,
    Links,
    client_options,
    open_link,
    provide,
)
from tests.conformance.frames import by_name

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIRMWARE = by_name("firmware version read").forms[0].writes


@pytest.mark.parametrize("model", MODELS)
async def test_battery_frame_read_and_decoded(links: Links, model: str) -> None:
    """7 bytes with the holder in the charger, 6 on a one-piece device."""
    link = await links.get(model)
    data = bytes(await link.client.read_gatt_char(uuids.BATTERY_INFORMATION))
    assert BatteryInformation.decode(data) == link.device.battery()
    assert len(data) == (7 if link.device.holder is not None else 6)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("ambient", list(AmbientByte))
async def test_status_frame_with_or_without_the_ambient_byte(
    links: Links, model: str, ambient: AmbientByte
) -> None:
    """`behaviour.status_ambient_byte`; the default (when_not_ok) gives a healthy
    device the capture's layout: flags 0x1B, plus 0x40 once a session has ended."""
    link = await links.get(model, status_ambient_byte=ambient)
    data = bytes(await link.client.read_gatt_char(uuids.DEVICE_STATUS))
    assert DeviceStatus.decode(data) == link.device.status()
    announced = bool(data[0] & 0x04)
    assert announced is (ambient is AmbientByte.ALWAYS), data.hex(" ")
    if link.device.holder is not None and ambient is not AmbientByte.ALWAYS:
        assert data[:2] == bytes.fromhex("1B 00")
    if ambient is AmbientByte.NEVER:
        with pytest.raises(TargetError, match="never reports the ambient temperature"):
            await link.dut.hands.inject("ambient_too_hot")
        return
    await link.dut.hands.inject("ambient_too_hot")
    hot = bytes(await link.client.read_gatt_char(uuids.DEVICE_STATUS))
    expected = link.device.status()
    await link.dut.hands.clear("ambient_too_hot")
    assert hot[0] & 0x04 and DeviceStatus.decode(hot) == expected, hot.hex(" ")


async def test_models_are_told_apart_by_their_advertisement(target: VirtualTarget) -> None:
    """The name (scan response) tells the model; the manufacturer data, the same on
    every model, tells only the pairing state, as on the devices captured."""
    provided = {model: (await provide(target, model))[0] for model in MODELS}
    wanted = {dut.address for dut in provided.values()}
    found = await discover(3, until=lambda seen: wanted <= set(seen), **client_options())
    by_address = {entry.address: entry for entry in found}
    for model, dut in provided.items():
        entry = by_address[dut.address]
        assert entry.model is not None and entry.model.display_name == model
        assert entry.name == dut.name and entry.pairing_state is PairingState.PAIRING_MODE
    advertisements = [p.advertisement() for p in target._peripherals if p.device.address in wanted]
    assert len({a.advertising_data() for a in advertisements}) == 1
    assert len({a.scan_response_data() for a in advertisements}) == len(MODELS)


@pytest.mark.parametrize("model", MODELS)
async def test_subscribing_unencrypted_is_refused_so_the_central_pairs_on_demand(
    target: VirtualTarget, model: str
) -> None:
    """Insufficient Encryption on the configuration descriptor: BlueZ and Android then
    pair and subscribe again, and so does the project's bleak backend. With pairing
    refused, the subscription fails with that error, and nothing is notified."""
    dut, device = await provide(target, model)
    await dut.hands.inject("refuse_pairing")
    heard: list[bytes] = []
    raw = BleakClient(dut.address, backend=BumbleClient, timeout=TIMEOUT)
    await raw.connect()
    try:
        for uuid in (uuids.BATTERY_INFORMATION, uuids.DEVICE_STATUS):
            with pytest.raises(BleakGATTProtocolError) as refused:
                await raw.start_notify(uuid, lambda _c, data: heard.append(bytes(data)))
            assert refused.value.code == Code.INSUFFICIENT_ENCRYPTION
        await dut.hands.set_battery("charger", 41)
        assert not device.bonds
    finally:
        await raw.disconnect()
    await dut.hands.clear("refuse_pairing")
    # A new link: bumble's SMP never completes a pairing on a link whose last pairing
    # the peer refused (the session ends after the DHKey check).
    raw = BleakClient(dut.address, backend=BumbleClient, timeout=TIMEOUT)
    await raw.connect()
    try:
        await raw.start_notify(uuids.BATTERY_INFORMATION, lambda _c, d: heard.append(bytes(d)))
        assert len(device.bonds) == 1
        await dut.hands.set_battery("charger", 40)
        await raw.read_gatt_char(uuids.BATTERY_INFORMATION)  # notifications come before it
        assert heard == [device.battery().encode()]
    finally:
        await raw.disconnect()


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("notify", [False, True])
async def test_notifications_on_subscribing(
    target: VirtualTarget, model: str, notify: bool
) -> None:
    """`behaviour.notify_on_subscribe`: the current values at once, or nothing until a
    change; the client's stream starts from the current values either way."""
    dut, device = await provide(target, model, notify_on_subscribe=notify)
    raw = BleakClient(dut.address, backend=BumbleClient, timeout=TIMEOUT)
    await raw.connect()
    await raw.pair()
    heard: list[bytes] = []
    for uuid in (uuids.BATTERY_INFORMATION, uuids.DEVICE_STATUS):
        await raw.start_notify(uuid, lambda _c, data: heard.append(bytes(data)))
    await raw.read_gatt_char(uuids.BATTERY_INFORMATION)  # notifications come before it
    await raw.disconnect()
    current = [device.battery().encode(), device.status().encode()]
    assert heard == (current if notify else [])
    client = IqosClient(dut.address, dut.model, **client_options())
    stream = await client.notifications()
    assert stream.current == (device.battery(), device.status())
    await dut.hands.set_battery("charger", 42)
    async with asyncio.timeout(TIMEOUT):
        changed = await anext(stream)
    assert isinstance(changed, BatteryInformation) and changed.charger is not None
    assert changed.charger.level == 42
    await client.disconnect()


@pytest.mark.parametrize("model", MODELS)
async def test_the_advertising_window_closes_and_a_button_press_reopens_it(
    target: VirtualTarget, model: str
) -> None:
    """`protocol.advertising_window`: after it the device is not found, and the client
    says to press its button; a press brings it back."""
    dut, device = await provide(target, model)
    await dut.hands.act("let_advertising_end")
    assert not device.advertising
    client = IqosClient(dut.address, dut.model, **client_options(0.5))
    with pytest.raises(DeviceNotFound, match="press its button"):
        await client.connect()
    await dut.hands.act("hold_button", seconds=1)
    found = await discover(2, until=lambda seen: dut.address in seen, **client_options())
    assert dut.address in {entry.address for entry in found}


async def test_a_model_without_a_window_advertises_on(target: VirtualTarget) -> None:
    """`advertising_window: null`: advertising whenever there is no link."""
    spec = model_named("IQOS 3 DUO")
    original = target.profiles[spec.key]
    unlimited = dataclasses.replace(original.spec, advertising_window=None)
    target.profiles[spec.key] = dataclasses.replace(original, spec=unlimited)
    try:
        dut = await target.provide(unlimited)
    finally:
        target.profiles[spec.key] = original
    await dut.hands.pass_time(3600)
    found = await discover(2, until=lambda seen: dut.address in seen, **client_options())
    assert dut.address in {entry.address for entry in found}


@pytest.mark.parametrize("model", MODELS)
async def test_a_stray_fragment_is_timed_out(target: VirtualTarget, model: str) -> None:
    """A lone "more fragments" write swallows a request sent within the reassembly
    timeout (`behaviour.scp_reassembly_timeout_ms`), and no later one."""
    link = await open_link(target, model, scp_reassembly_seconds=0.2)
    try:
        await link.write(bytes.fromhex("01 C0"), *FIRMWARE)
        assert await link.exchange(()) == []
        await link.write(bytes.fromhex("01 C0"))
        await asyncio.sleep(0.3)
        (answer,) = await link.exchange(FIRMWARE)
        assert answer[:4] == bytes.fromhex("00 C0 88 00")
    finally:
        await link.close()
