"""The bluez target: simulated devices on bless, the client on stock bleak, both
through a real BlueZ (bluetoothd and the kernel's Bluetooth stack).

Each simulated device takes one controller (bless names the controller after
its device), and the client has a controller of its own; the adapters come
from the environment, which the QEMU guest runner (`harness.guest`) sets, or
a Linux machine with virtual or real controllers:

    IQOS_BLUEZ_DEVICE_ADAPTERS=hci0,hci1   one per device a scenario may hold
    IQOS_BLUEZ_CLIENT_ADAPTER=hci2         the app's (one per pytest-xdist worker)

Between scenarios the target removes every peer on both sides, so no bond or
GATT cache leaks from one scenario into the next, as on the virtual target.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbus_fast.aio import MessageBus

from harness.guest.speed import slowness_from
from harness.tags import Ability
from harness.targets.base import DeviceUnderTest, TargetError
from harness.targets.btmon import since
from harness.targets.registry import TargetOptions
from harness.targets.simulated import SimulatedTarget
from harness.targets.simulator_hands import SimulatorHands
from iqos.protocol.model import ModelSpec
from simulator.device import SimulatedDevice
from simulator.radio.bless_gatt import BlessPeripheral
from simulator.radio.bluez_bus import BluezError, system_bus
from simulator.radio.bluez_host import (
    adapter_address,
    address_of,
    forget,
    forget_peers,
    peers,
    register_agent,
    serve_on_controller,
    unregister_agent,
)

DEVICE_ADAPTERS = "IQOS_BLUEZ_DEVICE_ADAPTERS"
CLIENT_ADAPTER = "IQOS_BLUEZ_CLIENT_ADAPTER"
BTMON_CAPTURE = "IQOS_BLUEZ_BTMON"
"""Optional: a live capture of the HCI monitor, pcap from `tcpdump -i bluetooth-monitor -U
-w` or btsnoop from `btmon -w` (the guest sets it)."""
ANSWER_TIMEOUT = 5.0
"""BlueZ under emulation answers in tens of milliseconds; a scenario that proves a
timeout need not wait the real client's 10 s, but must not race a slow guest.
It and the target's patience are multiplied by the guest's measured slowness
(`IQOS_HIL_GUEST_SLOWNESS`, `harness.guest.speed`): a busy host slows the lane
instead of failing it."""
SCAN_WINDOW = 0.15
"""The app starts its scan again after this long without hearing the devices it waits
for (times the slowness). btvirt reports an advertisement only when scanning or
advertising is switched on, and the kernel drops the report sent at the scan's start
whenever it handles it before the discovery is under way, about half the time: the
next report comes with the advertising rotation, up to a second later (docs/speed.md,
the scan wait). A new scan is another chance within 0.15 s; where the first report
arrives, it does within 0.05 s. On a real radio a device advertises every 20 to
100 ms, and the first window hears it."""


@dataclass
class Served:
    adapter: str
    device: SimulatedDevice
    peripheral: BlessPeripheral


def build(options: TargetOptions) -> BluezTarget:
    return BluezTarget.from_environment(options.environment)


class BluezTarget(SimulatedTarget):
    name = "bluez"
    abilities = frozenset(Ability) - {
        Ability.SEVERAL_DEVICES,
        Ability.STALE_BOND_RECOVERY,
        Ability.OUT_OF_RANGE,
    }
    limits = {  # noqa: RUF012  # read-only
        Ability.SEVERAL_DEVICES.value: f"one device per adapter in {DEVICE_ADAPTERS}, "
        "and the lane gives one: links to two devices crash Linux 6.1 (docs/bluez-lane.md)",
        Ability.STALE_BOND_RECOVERY.value: "re-pairing over a bond one side forgot crashes "
        "Linux 6.1's Bluetooth (docs/bluez-lane.md)",
        Ability.OUT_OF_RANGE.value: "the lane's controllers share one emulated radio in "
        "the guest, and nothing takes one out of the others' range",
    }

    def __init__(
        self,
        device_adapters: list[str],
        client_adapter: str,
        btmon: Path | None = None,
        slowness: float = 1.0,
    ) -> None:
        if not device_adapters:
            raise TargetError(f"the bluez target needs at least one adapter in {DEVICE_ADAPTERS}")
        if client_adapter in device_adapters:
            raise TargetError(f"{client_adapter} cannot serve both a device and the client")
        super().__init__()
        self.device_adapters = device_adapters
        self.client_adapter = client_adapter
        if len(device_adapters) > 1:
            self.abilities = self.abilities | {Ability.SEVERAL_DEVICES}
        self._bus: MessageBus | None = None
        self._served: list[Served] = []
        self.btmon = btmon
        self._scenario_started: float | None = None
        self.slowness = slowness
        self.patience = self.patience * slowness

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> BluezTarget:
        """The adapters of this pytest process. Under pytest-xdist, worker N of W takes
        the Nth client adapter and every Wth device adapter from N: the workers
        share bluetoothd but no controller (one controller linked to two devices
        crashes Linux 6.1, docs/bluez-lane.md)."""
        devices = [name for name in environment.get(DEVICE_ADAPTERS, "").split(",") if name]
        clients = [name for name in environment.get(CLIENT_ADAPTER, "").split(",") if name]
        if not devices or not clients:
            raise TargetError(
                f"the bluez target needs {DEVICE_ADAPTERS} (e.g. hci0,hci1) and "
                f"{CLIENT_ADAPTER} (e.g. hci2); on a machine without Bluetooth in its "
                "kernel run it in the QEMU guest: tox -e bluez (see README, Targets)"
            )
        workers = int(environment.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        worker = int(environment.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
        if len(clients) < workers or len(devices) < workers:
            raise TargetError(
                f"{workers} pytest workers need {workers} adapters in {CLIENT_ADAPTER} and "
                f"at least {workers} in {DEVICE_ADAPTERS}; got {clients} and {devices}"
            )
        btmon = environment.get(BTMON_CAPTURE)
        try:
            slowness = slowness_from(environment)
        except ValueError as error:
            raise TargetError(str(error)) from None
        return cls(
            devices[worker::workers], clients[worker], Path(btmon) if btmon else None, slowness
        )

    @property
    def bus(self) -> MessageBus:
        if self._bus is None:
            raise TargetError("the bluez target is not started")
        return self._bus

    async def start(self) -> None:
        await super().start()
        try:
            self._bus = await system_bus()
            for adapter in [*self.device_adapters, self.client_adapter]:
                await adapter_address(self._bus, adapter)
            for adapter in self.device_adapters:
                await forget_peers(self._bus, adapter)
            await register_agent(self._bus)
        except BluezError as error:
            raise TargetError(f"BlueZ is not usable: {error}") from error

    async def stop(self) -> None:
        await self.release()
        if self._bus is not None:
            await unregister_agent(self._bus)
            self._bus.disconnect()
            self._bus = None

    async def provide(self, model: ModelSpec, *, pairing_mode: bool = True) -> DeviceUnderTest:
        if self._scenario_started is None:
            self._scenario_started = time.time()
        profile = self.profile(model)
        in_use = {served.adapter for served in self._served}
        adapter = next((name for name in self.device_adapters if name not in in_use), None)
        if adapter is None:
            raise TargetError(
                f"all {len(self.device_adapters)} device adapters are serving a device; "
                f"add one to {DEVICE_ADAPTERS}"
            )
        address = await adapter_address(self.bus, adapter)
        device = self.new_device(profile, address, pairing_mode=pairing_mode)
        peripheral = serve_on_controller(self.bus, device, adapter)
        await peripheral.start()
        self._served.append(Served(adapter, device, peripheral))
        return DeviceUnderTest(
            label=f"{device.name} on {adapter}",
            model=model,
            address=address,
            name=device.name,
            hands=SimulatorHands.in_process(device, peripheral.settled),
            extra={"adapter": adapter},
        )

    async def capture(self) -> bytes | None:
        """This scenario's part of the guest's monitor capture (both controllers), as btsnoop."""
        if self.btmon is None or self._scenario_started is None:
            return None
        try:
            whole = await asyncio.to_thread(self.btmon.read_bytes)
        except OSError:
            return None
        return since(whole, self._scenario_started)

    async def release(self) -> None:
        """Off the air, and every bond and cached GATT table gone on both sides."""
        self._scenario_started = None
        served, self._served = self._served, []
        for each in served:
            await each.peripheral.stop()
            await forget(self.bus, self.client_adapter, each.device.address)

    async def app_holds_bond(self, address: str) -> bool | None:
        """BlueZ's own record of the device on the client adapter: `Bonded` (keys
        stored), read over D-Bus without touching the link."""
        for path, props in (await peers(self.bus, self.client_adapter)).items():
            if address_of(path) == address.upper():
                return bool(props.get("Bonded", props.get("Paired", False)))
        return False

    def client_options(self) -> dict[str, Any]:
        return {
            "adapter": self.client_adapter,
            "timeout": ANSWER_TIMEOUT * self.slowness,
            "scan_window": SCAN_WINDOW * self.slowness,
        }
