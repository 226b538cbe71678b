"""A bonded peer's report that comes before bumble listens is not the last one
bumble can hear (issue 16, the soak's rare `could not connect`).

Under tracemalloc, one soak cycle in some 2,000 ended `OperationTimeout: could not
connect`, after three attempts that each waited, idle, until their deadline. For a
bonded peer bumble's `connect_le` looks out for the peer's advertisements, on the
scan the radio starts for it; the controller reports a device once per scan
(duplicates filtered). When the peer's report came in the turns of the loop
between the scan's start and bumble's listener (more real time than the
advertising interval, which a slow process spends there), it was the last one.
Here that order is made certain, without real time: the look-out's scan waits
for the peer's report before it lets the connect go on.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from harness.bleak_backend.radio import ClientRadio
from harness.targets.virtual import VirtualTarget
from iqos.client import IqosClient
from iqos.models import model_named
from tests.reliability.conftest import options, quiet

pytestmark = pytest.mark.asyncio

TIMEOUT = 2.0


async def test_a_report_heard_before_bumble_listens_is_heard_again(
    target: VirtualTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    dut = await target.provide(model_named("IQOS 3 DUO"))
    client = IqosClient(dut.address, dut.model, **options(TIMEOUT))
    await client.pair()
    await client.disconnect()
    radio = target.radio
    assert radio is not None
    central = await radio.central()
    started = ClientRadio.start_scanning
    early: list[object] = []

    async def report_first(self: ClientRadio, scanner: object, active: bool) -> None:
        await started(self, scanner, active)
        if type(scanner) is object and scanner not in early:
            early.append(scanner)
            heard: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def on_advertisement(_advertisement: Any) -> None:
                if not heard.done():
                    heard.set_result(None)

            central.on(central.EVENT_ADVERTISEMENT, on_advertisement)
            try:
                await heard
            finally:
                central.remove_listener(central.EVENT_ADVERTISEMENT, on_advertisement)

    monkeypatch.setattr(ClientRadio, "start_scanning", report_first)
    async with asyncio.timeout(TIMEOUT):
        assert (await client.battery()).charger is not None
    assert len(early) == 1
    await client.disconnect()
    await quiet(target)
