"""Simulated devices on the virtual radio, reached the way public clients reach real
ones: bleak's API over the project's bumble backend, raw bytes on the control point.

One paired link per model (and per profile variant) serves a whole module, so the
suite pays for pairing a few times, not once per frame.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from bleak import BleakClient

from harness.bleak_backend import BumbleClient, BumbleScanner
from harness.targets.base import DeviceUnderTest
from harness.targets.virtual import VirtualTarget
from iqos.models import model_named
from iqos.protocol.uuids import SCP_CONTROL_POINT
from simulator.device import SimulatedDevice
from simulator.profile import DeviceProfile
from tests.conformance.frames import short_answer, wire

MODELS = ("IQOS 2.4 Plus", "IQOS 3 DUO", "IQOS 3 Multi")
TIMEOUT = 2.0
KEEP_ALIVE = wire("00 C0 01 00 15")
KEEP_ALIVE_ANSWER = short_answer("00 C0 85 00", wire("01 00 00 00"))


def client_options(timeout: float = TIMEOUT) -> dict[str, Any]:
    return {"client_backend": BumbleClient, "scanner_backend": BumbleScanner, "timeout": timeout}


class RawLink:
    """A paired link to one simulated device, subscribed to its control point, that
    writes requests byte for byte and collects what the device notifies."""

    def __init__(self, dut: DeviceUnderTest, device: SimulatedDevice) -> None:
        self.client = BleakClient(
            dut.address,
            backend=BumbleClient,
            timeout=TIMEOUT,
        )
        self.dut = dut
        self.device = device
        self.notified: list[bytes] = []
        self._arrived = asyncio.Event()

    def _on_notify(self, _characteristic: Any, data: bytearray) -> None:
        self.notified.append(bytes(data))
        self._arrived.set()

    async def start(self) -> None:
        await self.client.connect()
        await self.client.pair()
        await self.client.start_notify(SCP_CONTROL_POINT, self._on_notify)

    async def write(self, *writes: bytes) -> None:
        for piece in writes:
            await self.client.write_gatt_char(SCP_CONTROL_POINT, piece, response=True)

    async def until(self, count: int) -> list[bytes]:
        """The notifications once there are `count` of them (within TIMEOUT)."""
        async with asyncio.timeout(TIMEOUT):
            while len(self.notified) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.notified

    async def exchange(self, writes: tuple[bytes, ...]) -> list[bytes]:
        """What the device notified for `writes`: they are followed by a keep-alive,
        and the device answers in order, so everything before the keep-alive's answer
        is theirs, and an empty list means no answer, without waiting for a timeout."""
        self.notified.clear()
        await self.write(*writes, KEEP_ALIVE)
        async with asyncio.timeout(TIMEOUT):
            while not self.notified or self.notified[-1] != KEEP_ALIVE_ANSWER:
                self._arrived.clear()
                await self._arrived.wait()
        return self.notified[:-1]

    async def close(self) -> None:
        await self.client.disconnect()


def simulated(target: VirtualTarget, dut: DeviceUnderTest) -> SimulatedDevice:
    (peripheral,) = [p for p in target._peripherals if p.device.address == dut.address]
    return peripheral.device


async def provide(
    target: VirtualTarget, model: str, **behaviour: Any
) -> tuple[DeviceUnderTest, SimulatedDevice]:
    """A fresh device of `model`, its profile's `behaviour` changed as given, as a bench
    would change those lines of the YAML."""
    spec = model_named(model)
    original = target.profiles[spec.key]
    if behaviour:
        target.profiles[spec.key] = varied(original, **behaviour)
    try:
        dut = await target.provide(spec)
    finally:
        target.profiles[spec.key] = original
    return dut, simulated(target, dut)


def varied(profile: DeviceProfile, **behaviour: Any) -> DeviceProfile:
    return dataclasses.replace(
        profile, behaviour=dataclasses.replace(profile.behaviour, **behaviour)
    )


async def open_link(target: VirtualTarget, model: str, **behaviour: Any) -> RawLink:
    dut, device = await provide(target, model, **behaviour)
    link = RawLink(dut, device)
    await link.start()
    return link


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def target() -> AsyncIterator[VirtualTarget]:
    target = VirtualTarget()
    await target.start()
    yield target
    await target.stop()


class Links:
    """The module's paired links, opened on first use."""

    def __init__(self, target: VirtualTarget) -> None:
        self.target = target
        self._links: dict[tuple[str, tuple[tuple[str, Any], ...]], RawLink] = {}

    async def get(self, model: str, **behaviour: Any) -> RawLink:
        key = (model, tuple(sorted(behaviour.items())))
        if key not in self._links:
            self._links[key] = await open_link(self.target, model, **behaviour)
        return self._links[key]

    async def close(self) -> None:
        for link in self._links.values():
            await link.close()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def links(target: VirtualTarget) -> AsyncIterator[Links]:
    opened = Links(target)
    yield opened
    await opened.close()
