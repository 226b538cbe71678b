"""Malformed requests with a valid CRC (issue 16, item 3): the device acknowledges the
write, gives no answer (what the reference allows, and what this simulator does for
any request it cannot handle), and never raises into bumble; the client's wait ends
at its own deadline with OperationTimeout."""

from __future__ import annotations

import asyncio
import logging

import pytest
from bleak import BleakClient

from harness.bleak_backend import BumbleClient
from harness.targets.virtual import VirtualTarget
from iqos.client import IqosClient
from iqos.errors import OperationTimeout
from iqos.models import model_named
from iqos.protocol import (
    ExtendedFrame,
    ExtendedType,
    Frame,
    Node,
    ShortFrame,
    decode_frame,
    fragment,
)
from iqos.protocol.registers import ExtendedAddress, Register, read_request
from iqos.protocol.uuids import SCP_CONTROL_POINT
from tests.reliability.conftest import (
    SLACK,
    options,
    peripheral_of,
    quiet,
    reachable,
    simulator_errors,
    timed,
)

pytestmark = pytest.mark.asyncio

EMPTY_BRIGHTNESS = bytes.fromhex("00 c0 42 23 98")
"""The tester's frame: a brightness write whose length code says no data."""
TIMEOUT = 2.0


@pytest.mark.parametrize(
    "wire",
    [EMPTY_BRIGHTNESS, ShortFrame(Node.HOLDER, Register.BRIGHTNESS, b"", write=True).encode()],
    ids=["charger", "holder"],
)
async def test_an_empty_brightness_write_times_out_and_the_device_stays_up(
    target: VirtualTarget, wire: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    dut = await target.provide(model_named("IQOS 3 DUO"))
    device = peripheral_of(target, dut).device
    client = IqosClient(dut.address, dut.model, **options(TIMEOUT))
    await client.pair()

    with caplog.at_level(logging.ERROR, logger="simulator"):
        outcome, took = await timed(client.request(decode_frame(wire)))

    assert isinstance(outcome, OperationTimeout), outcome
    assert took <= TIMEOUT + SLACK
    assert not simulator_errors(caplog)
    assert device.brightness == 100
    assert (await client.firmware_version()).major  # the same link still answers
    await client.disconnect()
    await quiet(target)
    await reachable(target, dut, paired=True)


def malformed() -> list[Frame]:
    """Every register written with a data size no register takes (and the clock
    written with a wrong size), to every node: CRC-valid, answerable by none."""
    frames: list[Frame] = []
    for node in Node:
        for register in Register:
            for data in (b"", bytes(range(14)), bytes(range(24))):
                frames.append(ShortFrame(node, register, data, write=True))
        for data in (b"", b"\x01\x02", bytes(8)):
            frames.append(ExtendedFrame(node, ExtendedType.WRITE, ExtendedAddress.CLOCK, data))
    return frames


@pytest.mark.parametrize("model", ["IQOS 2.4 Plus", "IQOS 3 DUO", "IQOS 3 Multi"])
async def test_malformed_writes_are_acknowledged_and_left_unanswered(
    target: VirtualTarget, model: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each write gets its ATT Write Response (before the fix some got none, and the
    client waited 30 s); only the valid request after them is answered."""
    dut = await target.provide(model_named(model))
    device = peripheral_of(target, dut).device
    answers: list[bytes] = []
    answered = asyncio.Event()

    def on_answer(_characteristic: object, data: bytearray) -> None:
        answers.append(bytes(data))
        answered.set()

    valid = read_request(Node.CHARGER, Register.FIRMWARE_VERSION).encode()
    frames = malformed()
    with caplog.at_level(logging.ERROR, logger="simulator"):
        async with BleakClient(dut.address, backend=BumbleClient, timeout=TIMEOUT) as raw:
            await raw.pair()
            before = device.snapshot()
            await raw.start_notify(SCP_CONTROL_POINT, on_answer)
            async with asyncio.timeout(10):
                for frame in frames:
                    for piece in fragment(frame.encode()):
                        await raw.write_gatt_char(SCP_CONTROL_POINT, piece, response=True)
                await raw.write_gatt_char(SCP_CONTROL_POINT, valid, response=True)
                await answered.wait()
    assert [answer[:4] for answer in answers] == [bytes.fromhex("00 C0 88 00")]
    assert not simulator_errors(caplog)
    assert device.snapshot() == before
    await quiet(target)
    await reachable(target, dut, paired=True)
