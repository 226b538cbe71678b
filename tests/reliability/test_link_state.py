"""Nothing of a link outlives it (issue 16, the soak's memory).

A long-lived client connects, pairs or re-encrypts, reads and disconnects, cycle
after cycle. Each link leaves bumble's and bleak's per-connection objects in
reference cycles, which only the garbage collector frees (docs/reliability.md,
"Soak and long runs"); that is allowed. What must not happen is that anything
still reaches them once the link is gone (a dict keyed by handle, a listener on
the central, a task that never ends): the soak would then grow by a connection a
cycle. So after the cycles and a full collection, no connection object of either
side's device, host or controller, no GATT client and no backend client is left,
and the radio keeps no per-link bookkeeping.
"""

from __future__ import annotations

import gc
from collections import Counter

import pytest
from bleak import BleakClient
from bumble import controller, device, gatt_client, host

from harness.bleak_backend import BumbleClient
from harness.targets.virtual import VirtualTarget
from iqos.client import IqosClient
from iqos.models import model_named
from tests.reliability.conftest import options, quiet

pytestmark = pytest.mark.asyncio

CYCLES = 20
PER_LINK = (
    device.Connection,
    host.Connection,
    controller.Connection,
    gatt_client.Client,
    BumbleClient,
    BleakClient,
)
"""What each link makes anew, on the client's side and on the simulated device's."""


def alive_per_link() -> Counter[str]:
    gc.collect()
    return Counter(type(o).__qualname__ for o in gc.get_objects() if isinstance(o, PER_LINK))


async def test_nothing_of_a_link_outlives_it(target: VirtualTarget) -> None:
    dut = await target.provide(model_named("IQOS 3 DUO"))
    client = IqosClient(dut.address, dut.model, **options(2.0))
    for _ in range(CYCLES):
        await client.pair()
        assert (await client.battery()).charger is not None
        await client.disconnect()
    await quiet(target)
    assert alive_per_link() == Counter()
    radio = target.radio
    assert radio is not None
    assert not radio._passkeys
    assert len(await radio.keystore.get_all()) == 1
