"""A bounded, seeded fuzz of GATT writes (issue 16): random bytes to every
characteristic of each model, over a paired link, with and without response.

Every write with response is answered within the deadline: accepted where the
characteristic says it can be written, Write Not Permitted everywhere else. Then
a fresh client gets a valid SCP request answered and reads every read-only value
unchanged, and the simulator has logged no error.
"""

from __future__ import annotations

import logging
import random
from collections import Counter

import pytest
from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.exc import BleakGATTProtocolError
from bleak.exc import BleakGATTProtocolErrorCode as Code

from harness.bleak_backend import BumbleClient
from harness.targets.virtual import VirtualTarget
from iqos.client import IqosClient
from iqos.models import model_named
from tests.reliability.conftest import (
    SLACK,
    options,
    quiet,
    simulator_errors,
    timed,
)

pytestmark = pytest.mark.asyncio

SEED = 16
WRITES = 400
"""Per model; about a second each on the virtual radio."""
TIMEOUT = 2.0


def writable(characteristic: BleakGATTCharacteristic) -> bool:
    return bool({"write", "write-without-response"} & set(characteristic.properties))


async def readable_values(raw: BleakClient) -> dict[str, bytes]:
    return {
        characteristic.uuid: bytes(await raw.read_gatt_char(characteristic))
        for service in raw.services
        for characteristic in service.characteristics
        if "read" in characteristic.properties and not writable(characteristic)
    }


@pytest.mark.parametrize("model", ["IQOS 2.4 Plus", "IQOS 3 DUO", "IQOS 3 Multi"])
async def test_random_writes_to_every_characteristic(
    target: VirtualTarget, model: str, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(f"{SEED}-{model}")
    dut = await target.provide(model_named(model))
    outcomes: Counter[str] = Counter()
    with caplog.at_level(logging.ERROR, logger="simulator"):
        async with BleakClient(dut.address, backend=BumbleClient, timeout=TIMEOUT) as raw:
            await raw.pair()
            before = await readable_values(raw)
            characteristics = [c for s in raw.services for c in s.characteristics]
            for _ in range(WRITES):
                characteristic = rng.choice(characteristics)
                data = rng.randbytes(rng.randint(0, 40))
                if rng.random() < 0.25:
                    await raw.write_gatt_char(characteristic, data, response=False)
                    outcomes["without response"] += 1
                    continue
                outcome, took = await timed(raw.write_gatt_char(characteristic, data, True))
                assert took <= SLACK, (characteristic, data)
                if writable(characteristic):
                    assert outcome is None, (characteristic, data, outcome)
                    outcomes["accepted"] += 1
                else:
                    assert isinstance(outcome, BleakGATTProtocolError), (characteristic, outcome)
                    assert outcome.code == Code.WRITE_NOT_PERMITTED
                    outcomes["not permitted"] += 1
    assert len(characteristics) >= 13
    assert outcomes["accepted"] and outcomes["not permitted"] and outcomes["without response"]
    assert not simulator_errors(caplog)

    fresh = IqosClient(dut.address, dut.model, **options(TIMEOUT))
    assert (await fresh.firmware_version()).major
    await fresh.disconnect()
    async with BleakClient(dut.address, backend=BumbleClient, timeout=TIMEOUT) as again:
        assert await readable_values(again) == before
    await quiet(target)
