"""The app side of one scenario: the devices the target provided, a client for
each, what the last scan found, the last error, and the notifications heard.

Steps are synchronous and thin; they call into this object, which runs the
client's coroutines on the session loop. It holds no scenario logic: each
method is one thing a user of the official app does, or one thing a tester
looks at. The looks are marked `@observation`: they leave the device and the
link as they found them, and they are all a Then step may call (`iqos-hil
lint` reports a Then step that calls anything else).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import pytest

from harness.evidence import Evidence
from harness.loop import SessionLoop
from harness.targets.base import ActionRefused, DeviceUnderTest, Target
from iqos.client import IqosClient, Notifications
from iqos.diagnostics import Diagnostics, Finding
from iqos.discovery import DiscoveredDevice, discover
from iqos.errors import IqosError
from iqos.protocol import BatteryInformation, DeviceStatus, LastSession, PairingState
from iqos.protocol.model import Capability, ModelSpec
from iqos.protocol.registers import FirmwareVersion, UsageCounters, VibrationSettings

T = TypeVar("T")
Method = TypeVar("Method", bound=Callable[..., Any])

SCAN_SECONDS = 3.0
RECONNECT_SECONDS = 30.0
"""How long the app keeps looking for a device whose link it lost, or that it knew
when it was started, to reconnect on its own; the official app does so too."""
NOTIFICATION_TIMEOUT = 10.0


def observation(method: Method) -> Method:
    """Marks a method that leaves the device and the link as it found them."""
    method.__observation__ = True  # type: ignore[attr-defined]
    return method


def is_observation(member: object) -> bool:
    return getattr(member, "__observation__", False) is True


@dataclass
class Heard:
    """Notifications a device sent since the app started listening to it."""

    battery: list[BatteryInformation] = field(default_factory=list)
    status: list[DeviceStatus] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class App:
    def __init__(
        self, loop: SessionLoop, target: Target, evidence: Evidence, wanted: set[str]
    ) -> None:
        self.loop = loop
        self.wanted = wanted
        self.report: Diagnostics | None = None
        self.target = target
        self.evidence = evidence
        self.devices: list[DeviceUnderTest] = []
        self.clients: dict[str, IqosClient] = {}
        self.found: list[DiscoveredDevice] = []
        self.error: IqosError | None = None
        self.heard: dict[str, Heard] = {}
        self.names: dict[str, DeviceUnderTest] = {}
        """Devices by the name a scenario's table gave them."""
        self.selected: DeviceUnderTest | None = None
        """The device "the device" means: the one the user selected in the app, else the
        newest one."""
        self.usage_read: dict[str, UsageCounters] = {}
        """The usage counters the app last read, by device address: what later steps
        count the growth from."""
        self.clock_set: dict[str, datetime] = {}
        """By device address: the phone's time the app set the device clock to."""
        self._listeners: list[asyncio.Task[None]] = []
        self.failed = False

    def __repr__(self) -> str:
        """Reports list each step's arguments; this one names the target and devices."""
        names = ", ".join(device.label for device in self.devices) or "no device yet"
        return f"app on the {self.target.name} target ({names})"

    @property
    def device(self) -> DeviceUnderTest:
        if not self.devices:
            raise AssertionError("no device yet: start the scenario with 'Given an <model> ...'")
        return self.selected or self.devices[-1]

    def select(self, device: DeviceUnderTest) -> None:
        """The app's device list: later steps about "the device" mean this one."""
        self.selected = device

    @observation
    def named(self, name: str) -> DeviceUnderTest:
        """One device among several: by the name a table gave it, or by its model when
        the scenario has exactly one device of that model."""
        if name in self.names:
            return self.names[name]
        same_model = [d for d in self.devices if d.model.display_name == name]
        if len(same_model) == 1:
            return same_model[0]
        present = ", ".join(
            [f'"{given}"' for given in self.names]
            + [d.model.display_name for d in self.devices if d not in self.names.values()]
        )
        if same_model:
            raise AssertionError(
                f"{len(same_model)} devices are an {name} in this scenario: give each a "
                "name in the table's name column and use it"
            )
        raise AssertionError(f"no device {name!r} in this scenario; it has {present or 'none'}")

    def run(self, coroutine: Awaitable[T], timeout: float = 60.0) -> T:
        __tracebackhide__ = True

        async def wrapped() -> T:
            return await coroutine

        try:
            return self.loop.run(wrapped(), timeout)
        except ActionRefused as refused:
            refusal = f"{refused} (an earlier step must make this possible)"
        # The author's sequence, not the product: one line, no trace, no chained error.
        pytest.fail(refusal, pytrace=False)

    def provide(self, model: ModelSpec, pairing_mode: bool = True) -> DeviceUnderTest:
        self._skip_unless_possible(model)
        device = self.run(
            self.target.provide(model, pairing_mode=pairing_mode), self.target.patience
        )
        self.devices.append(device)
        self.selected = None
        self.evidence.watch(device)
        self.run(self.evidence.snapshot_before(device))
        return device

    def _skip_unless_possible(self, model: ModelSpec) -> None:
        """Skip, with the reason, a scenario that this model or target cannot run."""
        capabilities = {c.value for c in Capability}
        lacking = sorted(
            n for n in self.wanted if n in capabilities and not model.supports(Capability(n))
        )
        if lacking:
            pytest.skip(f"{model.display_name} does not support {', '.join(lacking)}")
        if not self.target.offers(model):
            pytest.skip(f"the {self.target.name} target has no {model.display_name}")
        missing = sorted(self.target.missing_abilities(self.wanted))
        if missing:
            reasons = "; ".join(
                f"{name}: {self.target.limits[name]}" if name in self.target.limits else name
                for name in missing
            )
            pytest.skip(f"the {self.target.name} target cannot do {reasons}")

    def client(self, device: DeviceUnderTest | None = None) -> IqosClient:
        device = device or self.device
        if device.address not in self.clients:
            scanned = next(
                (d for d in self.found if d.address.upper() == device.address.upper()), None
            )
            self.clients[device.address] = IqosClient(
                device.address,
                model=device.model,
                transcript=self.evidence.transcript(device),
                device=scanned.ble_device if scanned is not None else None,
                reconnect_seconds=RECONNECT_SECONDS,
                **self.target.client_options(),
            )
        return self.clients[device.address]

    def scan(self) -> list[DiscoveredDevice]:
        """The app's scan; what it found is kept for the steps that follow."""
        self.found = self._discover()
        return self.found

    def _discover(self) -> list[DiscoveredDevice]:
        wanted = {device.address.upper() for device in self.devices}
        return self.run(
            discover(
                scan_seconds=SCAN_SECONDS * self.target.slowness,
                until=lambda found: wanted <= set(found),
                **self.target.client_options(),
            )
        )

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

        async def consume(stream: Notifications) -> None:
            async for value in stream:
                if isinstance(value, BatteryInformation):
                    heard.battery.append(value)
                else:
                    heard.status.append(value)
                heard.changed.set()

        async def start() -> None:
            stream = await client.notifications()
            self._listeners.append(asyncio.get_running_loop().create_task(consume(stream)))

        self.run(start())
        return heard

    @observation
    def wait_for(
        self,
        heard: Heard,
        condition: Callable[[Heard], bool],
        timeout: float = NOTIFICATION_TIMEOUT,
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

    def _look(
        self,
        read: Callable[[IqosClient], Awaitable[T]],
        device: DeviceUnderTest | None = None,
    ) -> T:
        """A read for a Then step. A link opened for it is closed again, so the next step
        finds the link, and the device's advertising, as they were."""
        client = self.client(device)
        connected = client.connected
        value = self.run(read(client))
        if not connected:
            self.run(client.disconnect())
        return value

    @observation
    def battery(self, device: DeviceUnderTest | None = None) -> BatteryInformation:
        return self._look(IqosClient.battery, device)

    @observation
    def status(self) -> DeviceStatus:
        return self._look(IqosClient.status)

    @observation
    def firmware_version(self) -> FirmwareVersion:
        """An SCP request: the control point answers it, the device does not change."""
        return self._look(IqosClient.firmware_version)

    @observation
    def haptics(self) -> VibrationSettings:
        return self._look(IqosClient.haptics)

    @observation
    def sessions_left(self) -> int:
        return self._look(IqosClient.sessions_left)

    @observation
    def locked(self, device: DeviceUnderTest | None = None) -> bool:
        return self._look(IqosClient.locked, device)

    @observation
    def brightness(self, device: DeviceUnderTest | None = None) -> int:
        return self._look(IqosClient.brightness, device)

    @observation
    def holder_brightness(self, device: DeviceUnderTest | None = None) -> int:
        return self._look(IqosClient.holder_brightness, device)

    @observation
    def device_clock(self, device: DeviceUnderTest | None = None) -> datetime:
        return self._look(IqosClient.clock, device)

    @observation
    def usage_counters(self, device: DeviceUnderTest | None = None) -> UsageCounters:
        return self._look(IqosClient.usage_counters, device)

    @observation
    def is_paired(self, device: DeviceUnderTest | None = None) -> bool:
        """Whether the app's keys still encrypt a link to the device; without keys the
        encrypted read is refused, and no pairing is started."""
        return self._look(IqosClient.is_paired, device)

    @observation
    def is_connected(self, device: DeviceUnderTest | None = None) -> bool:
        """Whether the app holds a link to the device now, as its device screen shows it."""
        client = self.clients.get((device or self.device).address)
        return client is not None and client.connected

    @observation
    def reconnected_on_its_own(self, device: DeviceUnderTest | None = None) -> None:
        """Waits, by the reconnect's own deadline, for the app to take the link up again
        by itself (after a lost link, or after a restart); fails naming the device and
        what it waited for."""
        device = device or self.device
        client = self.clients.get(device.address)
        assert client is not None and (client.reconnecting or client.connected), (
            f"{device.label}: the app is not reconnecting to it: it has not lost its link "
            "to it, nor been restarted"
        )
        assert self.run(client.reconnected(), RECONNECT_SECONDS + 10.0), (
            f"{device.label}: the app did not reconnect on its own within "
            f"{RECONNECT_SECONDS:g} s: it waited for the device to advertise again, and "
            "for its bond to encrypt the link"
        )

    @observation
    def holds_bond(self, device: DeviceUnderTest | None = None) -> bool:
        """The app's key store, looked at without a link (the target reads it)."""
        device = device or self.device
        held = self.run(self.target.app_holds_bond(device.address))
        assert held is not None, (
            f"the {self.target.name} target cannot look into the app's key store"
        )
        return held

    def restart(self) -> None:
        """The app is closed and opened again: its links, subscriptions and what it
        heard go, its key store stays; once started it reconnects on its own to every
        device it holds a bond for."""
        known = [d for d in self.devices if d.address in self.clients]

        async def restart() -> None:
            for task in self._listeners:
                task.cancel()
            await asyncio.gather(*self._listeners, return_exceptions=True)
            self._listeners.clear()
            for client in self.clients.values():
                with contextlib.suppress(IqosError, OSError):
                    await client.disconnect()
            self.clients.clear()
            self.heard.clear()
            self.found = []
            self.error = None
            self.report = None
            for device in known:
                if await self.target.app_holds_bond(device.address) is not False:
                    self.client(device).reconnect_in_background()

        self.run(restart())

    @observation
    def advertised_state(self) -> PairingState:
        """What the device advertises. A device takes one connection at a time and does
        not advertise while connected; closing the app's link here would also end its
        subscriptions, so a scenario ends the link itself before it looks."""
        client = self.clients.get(self.device.address)
        assert client is None or not client.connected, (
            f"{self.device.label} does not advertise while the app is connected to it: "
            "end the link first (When the app disconnects from the device)"
        )
        found = next((d for d in self._discover() if d.address == self.device.address), None)
        assert found is not None, f"{self.device.label} is not advertising"
        return found.pairing_state

    @observation
    def assert_device_has_no_bonds(self) -> None:
        assert self.advertised_state() is PairingState.PAIRING_MODE, (
            f"{self.device.label} still advertises that it is bonded"
        )
        state = self.run(self.device.hands.snapshot())
        if state is not None:
            assert not state.get("bonds"), f"{self.device.label} still holds {state['bonds']}"

    def diagnostics(self) -> Diagnostics:
        """The app's diagnostics screen: it connects, and stays connected, as the app does."""
        self.report = self.run(self.client().diagnostics())
        return self.report

    @observation
    def last_diagnostics(self, refresh: bool = False) -> Diagnostics:
        """The report the app last showed, or a fresh one when asked or when none was read."""
        if refresh or self.report is None:
            self.report = self._look(IqosClient.diagnostics)
        return self.report

    @observation
    def finding(self, code: str) -> Finding:
        report = self.last_diagnostics()
        found = next((f for f in report.findings if f.code == code), None)
        assert found is not None, f"no finding {code!r} in {[f.code for f in report.findings]}"
        return found

    @observation
    def notifications_heard(self) -> Heard:
        """What the device notified since the app began to listen; a scenario that never
        listened is told how to."""
        heard = self.heard.get(self.device.address)
        assert heard is not None, (
            "the app does not listen: start with 'the app listens for notifications'"
        )
        return heard

    @observation
    def last_session(self) -> LastSession | None:
        return self.status().holder1.last_session

    @observation
    def device_is_vibrating(self, device: DeviceUnderTest | None = None) -> bool:
        """Asked of the target: the simulator's state, or the operator's eyes on a bench."""
        return self.run((device or self.device).hands.observe("vibrating"))

    def sample(self, step: str) -> None:
        self.run(self.evidence.sample(step))

    def attach_failure_evidence(self) -> None:
        """Hung on the step that failed: the radio capture so far and the state changes."""
        self.failed = True

        async def attach() -> None:
            await self.evidence.attach_failure(await self.target.capture())

        self.run(attach())

    def attach_evidence(self, with_capture: bool) -> None:
        """On the scenario: transcript and timeline always, state changes unless a failed
        step already shows them, and the btsnoop capture when asked."""

        async def attach() -> None:
            capture = await self.target.capture() if with_capture else None
            await self.evidence.attach(capture, changes=not self.failed)

        self.run(attach())

    def close(self) -> None:
        async def shut() -> None:
            for task in self._listeners:
                task.cancel()
            await asyncio.gather(*self._listeners, return_exceptions=True)
            # The target lets go first: on BlueZ the device side drops a link at
            # once, where the app's own disconnect waits BlueZ's 2 s timer.
            await self.target.release()
            for client in self.clients.values():
                with contextlib.suppress(IqosError, OSError):
                    await client.disconnect()

        self.run(shut())
