"""Reservation by tags on a real coordinator: workers hold different places, a third
user waits and then gets one, a place somebody else holds is never taken, and a
killed worker's place comes back through its guard."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("labgrid", reason="the labgrid lane's tests run in tox -e labgrid")

from harness.farm.places import FarmError
from harness.farm.simulated import SimulatedFarm
from harness.loop import SessionLoop
from tests.labgrid.conftest import DUO, ROOT, holder, labgrid_client, places

pytestmark = pytest.mark.timeout(90)


def test_two_workers_hold_different_places_and_a_third_waits_for_one(
    farm: SimulatedFarm, loop: SessionLoop
) -> None:
    async def scenario() -> None:
        first, second = places(farm, "ci.gw0.1"), places(farm, "ci.gw1.2")
        await first.open()
        await second.open()
        try:
            one, two = await first.take(DUO), await second.take(DUO)
            assert one.name != two.name
            assert await holder(farm, one.name) == "test-host/ci.gw0.1"
            assert await holder(farm, two.name) == "test-host/ci.gw1.2"
            engineer = labgrid_client(farm, "engineer", "reserve", "--wait", "model=iqos-3-duo")
            await asyncio.sleep(3)
            assert engineer.poll() is None, "both places are held: the reservation waits"
            await first.give_back(one)
            output, _ = await asyncio.to_thread(engineer.communicate, timeout=10)
            assert engineer.returncode == 0, output
            token = output.split("token: ", 1)[1].split()[0]
            listed = labgrid_client(farm, "engineer", "reservations")
            reservations, _ = await asyncio.to_thread(listed.communicate, timeout=20)
            mine = reservations[reservations.index(f"token: {token}") :]
            assert "state: allocated" in mine and f"main: {one.name}" in mine, reservations
            labgrid_client(farm, "engineer", "cancel-reservation", token).wait(20)
        finally:
            await first.close()
            await second.close()

    loop.run(scenario(), timeout=60)


def test_a_place_another_user_holds_is_never_taken(farm: SimulatedFarm, loop: SessionLoop) -> None:
    taken = "3-duo-bench-a"
    engineer = labgrid_client(farm, "engineer", "-p", taken, "acquire")
    assert engineer.wait(20) == 0, engineer.communicate()

    async def scenario() -> None:
        worker = places(farm, "ci.gw0.3", wait=2.0)
        await worker.open()
        try:
            held = await worker.take(DUO)
            assert held.name != taken
            other = places(farm, "ci.gw1.4", wait=2.0)
            await other.open()
            try:
                with pytest.raises(FarmError, match="no place with model=iqos-3-duo came free"):
                    await other.take(DUO)
            finally:
                await other.close()
            assert await holder(farm, taken) == "desk/engineer"
        finally:
            await worker.close()

    try:
        loop.run(scenario(), timeout=60)
    finally:
        labgrid_client(farm, "engineer", "-p", taken, "release").wait(20)


def test_a_killed_worker_gives_its_place_back(farm: SimulatedFarm, loop: SessionLoop) -> None:
    doomed = subprocess.Popen(
        [sys.executable, "-m", "tests.labgrid.worker", farm.coordinator, "ci.gw0.doomed"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )

    async def scenario() -> None:
        other = places(farm, "ci.gw1.5")
        await other.open()
        try:
            assert doomed.stdout is not None
            lost = (await asyncio.to_thread(doomed.stdout.readline)).strip()
            assert await holder(farm, lost) == "test-host/ci.gw0.doomed"
            kept = await other.take(DUO)
            assert kept.name != lost
            waiting = asyncio.create_task(places_taking(farm))
            await asyncio.sleep(2)
            assert not waiting.done(), "every place is held: the reservation waits"
            doomed.send_signal(signal.SIGKILL)
            started = time.monotonic()
            assert await asyncio.wait_for(waiting, 20) == lost
            print(f"the killed worker's place came back in {time.monotonic() - started:.1f} s")
        finally:
            await other.close()

    try:
        loop.run(scenario(), timeout=60)
    finally:
        doomed.kill()
        doomed.wait(10)


async def places_taking(farm: SimulatedFarm) -> str:
    """The place that a third worker gets, once one comes free; given back at once."""
    third = places(farm, "ci.gw2.6")
    await third.open()
    try:
        return (await third.take(DUO)).name
    finally:
        await third.close()
