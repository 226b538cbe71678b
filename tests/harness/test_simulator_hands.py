"""One set of hands on simulated devices: in process or over `iqos-sim serve`'s socket,
the same request does the same thing and is refused in the same words."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.targets.base import TargetError
from harness.targets.simulator_hands import SimulatorHands
from simulator.clock import SimulatedClock
from simulator.control import Control, serve_control, socket_channel
from simulator.device import SimulatedDevice
from simulator.profile import find_profile


def duo(address: str) -> SimulatedDevice:
    return SimulatedDevice(find_profile("IQOS 3 DUO"), SimulatedClock(), address)


async def refusals(hands: SimulatorHands) -> list[str]:
    """Acts, then collects what the device and the protocol refuse."""
    await hands.act("remove_holder")
    await hands.set_battery("charger", 40)
    await hands.pass_time(30)
    said = []
    for refused in (
        hands.act("puff"),
        hands.inject("teleported"),
        hands.act("fly"),
        hands.observe("colour"),
    ):
        with pytest.raises(TargetError) as caught:
            await refused
        said.append(str(caught.value))
    return said


def test_in_process_and_over_the_socket_the_hands_are_the_same(tmp_path: Path) -> None:
    here, there = duo("C0:11:22:33:44:55"), duo("C0:11:22:33:44:55")

    async def over_the_socket() -> list[str]:
        socket = tmp_path / "sim.sock"
        async with await serve_control(Control([there]), socket):
            return await refusals(SimulatorHands(socket_channel(socket), there.name))

    in_process = asyncio.run(refusals(SimulatorHands.in_process(here)))
    assert in_process == asyncio.run(over_the_socket())
    assert in_process[0] == f"{here.name} refused to puff: no heating session"
    assert "unknown fault 'teleported'" in in_process[1]
    assert "no physical action 'fly'" in in_process[2]
    assert in_process[3] == "cannot observe 'colour'"
    assert here.snapshot() == there.snapshot()
    assert here.snapshot()["battery"]["charger_level"] == 40
    assert here.clock.now == 30
