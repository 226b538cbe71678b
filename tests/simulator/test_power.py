"""A device's power, as a bench farm switches it (simulator.power): off leaves the air
and drops the app's link; on comes back at the same address with its bonds, so the app
that paired before still reads encrypted values without pairing again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from harness.bleak_backend import BumbleClient, BumbleScanner, use_link
from iqos.client import IqosClient
from iqos.discovery import discover
from iqos.models import model_named
from simulator.clock import SimulatedClock
from simulator.control import Control, ControlError, request, serve_control
from simulator.device import SimulatedDevice
from simulator.power import PowerSwitch
from simulator.profile import find_profile
from simulator.radio.bumble_gatt import BumblePeripheral
from simulator.radio.link import VirtualLink

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(30)]

BACKENDS = {"client_backend": BumbleClient, "scanner_backend": BumbleScanner}


@pytest_asyncio.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[SimulatedDevice, Path]]:
    """One IQOS 3 DUO on a link, its power wired to a control socket, as `serve` does."""
    link = VirtualLink()
    radio = link.add_device("iqos-3-duo-0")
    device = SimulatedDevice(
        find_profile("IQOS 3 DUO"), SimulatedClock(), radio.random_address.to_string(False)
    )
    peripheral = BumblePeripheral(device, radio)
    await peripheral.start()
    control = Control([device], switches={device.address: PowerSwitch(link, peripheral)})
    socket = tmp_path / "sim.sock"
    use_link(link)
    try:
        async with await serve_control(control, socket):
            yield device, socket
    finally:
        use_link(None)


async def advertising(address: str) -> bool:
    found = await discover(1.0, until=lambda seen: address in seen, **BACKENDS)
    return any(device.address == address for device in found)


async def test_power_off_leaves_the_air_and_on_brings_the_bonds_back(
    served: tuple[SimulatedDevice, Path],
) -> None:
    device, socket = served
    client = IqosClient(device.address, model=model_named("IQOS 3 DUO"), **BACKENDS)
    await client.pair()
    assert (await client.battery()).charger is not None

    off = await request(socket, {"op": "power", "device": device.address, "on": False})
    assert off == {"powered": False}
    await asyncio.sleep(0.1)
    assert not client.connected, "the app's link drops with the power"
    assert not await advertising(device.address)

    assert await request(socket, {"op": "power", "device": device.name, "on": True}) == {
        "powered": True
    }
    assert await request(socket, {"op": "power", "device": device.name}) == {"powered": True}
    assert await advertising(device.address)
    assert (await client.battery()).charger is not None, (
        "the bond survived the power cycle: the encrypted read needs no new pairing"
    )
    await client.disconnect()


async def test_power_is_refused_where_it_is_not_wired_and_on_must_be_a_boolean(
    served: tuple[SimulatedDevice, Path],
) -> None:
    device, socket = served
    with pytest.raises(ControlError, match="'on' must be a boolean, not a string"):
        await request(socket, {"op": "power", "device": device.name, "on": "off"})
    unwired = Control([device])
    with pytest.raises(ControlError, match="is not wired"):
        await unwired.answer({"op": "power", "device": device.name, "on": False})
    with pytest.raises(ControlError, match=r"send it to Control\.answer"):
        unwired.handle({"op": "power", "device": device.name})
