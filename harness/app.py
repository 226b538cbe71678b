"""The app side of one scenario: the devices the target provided, a client for
each, what the last scan found, the last error, and the notifications heard.

Steps are synchronous and thin; they call into this object, which runs the
client's coroutines on the session loop. It holds no scenario logic: each
method is one thing a user of the official app does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from harness.evidence import Evidence
from harness.loop import SessionLoop
from harness.targets.base import DeviceUnderTest, Target
from iqos.client import IqosClient
from iqos.discovery import DiscoveredDevice, discover
from iqos.errors import IqosError
from iqos.protocol import BatteryInformation, DeviceStatus
from iqos.protocol.model import ModelSpec

T = TypeVar("T")

SCAN_SECONDS = 2.0
NOTIFICATION_TIMEOUT = 10.0


@dataclass
class Heard:
    """Notifications a device sent since the app started listening to it."""

    battery: list[BatteryInformation] = field(default_factory=list)
    status: list[DeviceStatus] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class App:
    def __init__(self, loop: SessionLoop, target: Target, evidence: Evidence) -> None:
        self.loop = loop
        self.target = target
        self.evidence = evidence
        self.devices: list[DeviceUnderTest] = []
        self.clients: dict[str, IqosClient] = {}
        self.found: list[DiscoveredDevice] = []
        self.error: IqosError | None = None
        self.heard: dict[str, Heard] = {}
        self._listeners: list[asyncio.Task[None]] = []

    @property
    def device(self) -> DeviceUnderTest:
        if not self.devices:
            raise AssertionError("no device yet: start the scenario with 'Given an <model> ...'")
        return self.devices[-1]

    def run(self, coroutine: Awaitable[T], timeout: float = 60.0) -> T:
        async def wrapped() -> T:
            return await coroutine

        return self.loop.run(wrapped(), timeout)

    def provide(self, model: ModelSpec, pairing_mode: bool = True) -> DeviceUnderTest:
        device = self.run(self.target.provide(model, pairing_mode=pairing_mode))
        self.devices.append(device)
        self.evidence.watch(device)
        return device

    def client(self, device: DeviceUnderTest | None = None) -> IqosClient:
        device = device or self.device
        if device.address not in self.clients:
            self.clients[device.address] = IqosClient(
                device.address,
                model=device.model,
                transcript=self.evidence.transcript(device),
                **self.target.client_options(),
            )
        return self.clients[device.address]

    def scan(self) -> list[DiscoveredDevice]:
        self.found = self.run(discover(timeout=SCAN_SECONDS, **self.target.client_options()))
        return self.found

    def attempt(self, action: Callable[[], Awaitable[T]]) -> T | None:
        """Run a client call that may fail; keep the typed error for a later Then."""
        self.error = None
        try:
            return self.run(action())
        except IqosError as error:
            self.error = error
            return None

    def pair(self, device: DeviceUnderTest | None = None) -> None:
        client = self.client(device)
        self.run(client.pair())

    def listen(self, device: DeviceUnderTest | None = None) -> Heard:
        device = device or self.device
        heard = self.heard.setdefault(device.address, Heard())
        client = self.client(device)

        async def consume() -> None:
            async for value in client.notifications():
                if isinstance(value, BatteryInformation):
                    heard.battery.append(value)
                else:
                    heard.status.append(value)
                heard.changed.set()

        async def start() -> None:
            self._listeners.append(asyncio.get_running_loop().create_task(consume()))

        self.run(start())
        return heard

    def wait_for(
        self, heard: Heard, condition: Callable[[Heard], bool], timeout: float = NOTIFICATION_TIMEOUT
    ) -> bool:
        async def until() -> bool:
            while not condition(heard):
                heard.changed.clear()
                try:
                    await asyncio.wait_for(heard.changed.wait(), timeout)
                except TimeoutError:
                    return condition(heard)
            return True

        return self.run(until(), timeout + 5.0)

    def close(self) -> None:
        async def shut() -> None:
            for task in self._listeners:
                task.cancel()
            await asyncio.gather(*self._listeners, return_exceptions=True)
            for client in self.clients.values():
                with contextlib.suppress(IqosError, OSError):
                    await client.disconnect()
            await self.target.release()

        self.run(shut())


def describe(values: list[Any]) -> str:
    return ", ".join(map(str, values)) or "nothing"
