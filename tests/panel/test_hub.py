"""Updates reach every open page as they happen, in one frame per turn of the loop, and a
page that cannot keep up loses its stream (it reconnects and gets the whole picture)."""

from __future__ import annotations

import asyncio

import pytest

from simulator.clock import SimulatedClock
from simulator.control import Control
from simulator.device import SimulatedDevice
from simulator.panel.hub import QUEUE_LIMIT, Hub
from simulator.profile import find_profile

pytestmark = pytest.mark.asyncio


def subject() -> SimulatedDevice:
    return SimulatedDevice(find_profile("IQOS 3 DUO"), SimulatedClock(), "C0:11:22:33:44:55")


async def test_changes_in_one_turn_of_the_loop_are_one_update() -> None:
    device = subject()
    hub = Hub(Control([device]))
    hub.follow()
    page = hub.subscribe()
    device.inject("ambient_too_cold")
    device.remove_holder()
    device.pass_time(30)
    name, body = await asyncio.wait_for(page.get(), 5)
    assert name == "device" and page.empty()
    assert body["state"]["faults"] == ["ambient_too_cold"]
    assert body["state"]["holder"]["in_charger"] is False
    assert body["state"]["clock_seconds"] == 30
    hub.close()
    assert await page.get() is None, "closing ends every stream"
    assert not device.listeners


async def test_a_page_that_falls_behind_loses_its_stream() -> None:
    device = subject()
    hub = Hub(Control([device]))
    hub.follow()
    slow, quick = hub.subscribe(), hub.subscribe()
    for _ in range(QUEUE_LIMIT + 1):
        device.pass_time(1)
        await asyncio.sleep(0)  # one turn of the loop: one update each
        if not quick.empty():
            quick.get_nowait()
    assert slow.get_nowait() is None and slow.empty()
    device.pass_time(1)
    await asyncio.sleep(0)
    assert slow.empty(), "no longer fed"
    assert quick.get_nowait()[0] == "device"
    hub.close()
