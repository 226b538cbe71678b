"""A farm of two simulated IQOS 3 DUO, one per exporter: the smallest farm on which two
workers hold different places and a third user must wait. These tests run in the
labgrid lane (`tox -e labgrid`); without labgrid each module is skipped, saying so."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.loop import SessionLoop

if TYPE_CHECKING:
    from harness.farm.places import Places
    from harness.farm.simulated import SimulatedFarm

DUO = {"model": "iqos-3-duo"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def loop() -> Iterator[SessionLoop]:
    """One event loop for the module's gRPC: gRPC's asyncio support takes one loop
    per process, as a worker has (its session loop)."""
    with SessionLoop("farm") as session_loop:
        yield session_loop


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory, loop: SessionLoop) -> Iterator[SimulatedFarm]:
    from harness.farm.simulated import Bench, SimulatedFarm

    farm = SimulatedFarm(
        tmp_path_factory.mktemp("farm"),
        [Bench("bench-a", "iqos-3-duo"), Bench("bench-b", "iqos-3-duo")],
    )
    loop.run(farm.start(), timeout=90)
    try:
        yield farm
    finally:
        loop.run(farm.stop(), timeout=60)


def places(farm: SimulatedFarm, user: str, wait: float = 30.0) -> Places:
    from harness.farm.places import Places

    return Places(farm.coordinator, "test-host", user, wait)


async def holder(farm: SimulatedFarm, place: str) -> str | None:
    """Who holds `place`, as the coordinator says (labgrid's `who`)."""
    from harness.farm.places import WorkerSession

    session = WorkerSession(farm.coordinator, asyncio.get_running_loop(), host="test", user="who")
    await session.start()
    try:
        await session.sync_with_coordinator()
        acquired: Any = session.places[place].acquired
        return None if acquired is None else str(acquired)
    finally:
        await session.stop()
        await session.close()


def labgrid_client(
    farm: SimulatedFarm, user: str, *args: str, **popen: Any
) -> subprocess.Popen[str]:
    """`labgrid-client` as an engineer at another desk runs it."""
    return subprocess.Popen(
        [sys.executable, "-m", "labgrid.remote.client", "-x", farm.coordinator, *args],
        env={**os.environ, "LG_USERNAME": user, "LG_HOSTNAME": "desk"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        **popen,
    )
