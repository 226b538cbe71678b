"""A client call given up at any point leaves the device reachable (issue 16, item 2).

Before, a connect cut short by its deadline could leave the controller initiating
(bumble's `connect_le` cleans up only after a timeout of its own), and the link it
completed later belonged to nobody: the device, connected, stopped advertising, and
every later client got DeviceNotFound (2 of 2 runs of 200 short-deadline connects).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from harness.bleak_backend import BumbleClient, BumbleScanner
from harness.targets.base import DeviceUnderTest
from harness.targets.virtual import VirtualTarget
from iqos.client import CONNECT_ATTEMPTS, IqosClient
from iqos.errors import IqosError
from iqos.models import model_named
from tests.reliability.conftest import SLACK, options, quiet, reachable, timed

pytestmark = pytest.mark.asyncio

SEED = 16
CALLS = 200
TIMEOUT = 2.0


async def prepared(target: VirtualTarget, bonded: bool) -> tuple[DeviceUnderTest, IqosClient]:
    """A device, and a client that has found it (and paired with it, if `bonded`)."""
    dut = await target.provide(model_named("IQOS 3 DUO"))
    client = IqosClient(dut.address, dut.model, **options(TIMEOUT))
    await (client.pair() if bonded else client.connect())
    await client.disconnect()
    return dut, client


def read(client: IqosClient, bonded: bool) -> asyncio.Task[object]:
    """A read that connects first: a scan (unless the device is known), the link,
    re-encryption (when bonded) and discovery, then the read itself."""
    return asyncio.get_running_loop().create_task(client.battery() if bonded else client.serial())


@pytest.mark.parametrize("bonded", [True, False], ids=["bonded", "new"])
async def test_calls_cancelled_at_random_points(target: VirtualTarget, bonded: bool) -> None:
    rng = random.Random(f"{SEED}-{bonded}")
    dut, first = await prepared(target, bonded)
    _, whole = await timed(read(first, bonded))
    await first.disconnect()
    radio = target.radio
    assert radio is not None
    central = await radio.central()
    loop = asyncio.get_running_loop()
    outcomes: Counter[str] = Counter()
    async with asyncio.timeout(40):
        for _ in range(CALLS):
            known = first._device if rng.random() < 0.5 else None
            client = IqosClient(dut.address, dut.model, device=known, **options(TIMEOUT))
            task = read(client, bonded)
            loop.call_later(rng.uniform(0, 1.5 * whole), task.cancel)
            try:
                await task
                outcomes["completed"] += 1
            except asyncio.CancelledError:
                outcomes["cancelled, linked" if client.connected else "cancelled"] += 1
            await client.disconnect()
            await radio.settled()
            assert not central.connections and not central.is_le_connecting
    assert outcomes["completed"] and outcomes["cancelled"], outcomes
    await quiet(target)
    await reachable(target, dut, paired=bonded)


async def test_connects_cut_short_by_their_own_deadline(target: VirtualTarget) -> None:
    """The tester's run: bonded reads with a deadline of a few milliseconds, each
    ending in time with the answer or a typed error."""
    rng = random.Random(SEED)
    dut, first = await prepared(target, bonded=True)
    outcomes: Counter[str] = Counter()
    async with asyncio.timeout(40):
        for _ in range(CALLS):
            deadline = rng.uniform(0.001, 0.05)
            client = IqosClient(
                dut.address,
                dut.model,
                device=first._device,
                client_backend=BumbleClient,
                scanner_backend=BumbleScanner,
                timeout=deadline,
            )
            outcome, took = await timed(client.battery())
            assert not isinstance(outcome, Exception) or isinstance(outcome, IqosError), outcome
            # each connect attempt, and each scan after a failed one, has the deadline
            assert took <= 2 * CONNECT_ATTEMPTS * deadline + SLACK
            outcomes[type(outcome).__name__] += 1
            client.timeout = TIMEOUT
            await client.disconnect()
    assert outcomes["BatteryInformation"] and outcomes["OperationTimeout"]
    await quiet(target)
    await reachable(target, dut, paired=True)
