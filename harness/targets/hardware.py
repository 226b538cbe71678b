"""The hardware target: physical devices from a bench file, a person (or a script)
for what software cannot do, and stock bleak on the machine's adapter.

A failed transition (the operator could not act, a device is gone) marks the
bench broken: the remaining scenarios fail at once with that reason instead of
each waiting out its own timeouts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from bleak import BleakClient
from bleak.args.bluez import BlueZClientArgs
from bleak.exc import BleakError

from harness.bench import Bench, BenchDevice, load_bench
from harness.operator import Instruction, Operator, OperatorError, PromptOperator, load_operator
from harness.tags import Ability
from harness.targets.base import BenchBroken, DeviceUnderTest, Hands, Target, TargetError
from harness.targets.registry import TargetOptions
from iqos.discovery import find_by_address
from iqos.protocol.model import ModelSpec

if TYPE_CHECKING:
    from dbus_fast.aio import MessageBus

FORGET_SCAN_SECONDS = 10.0
T = TypeVar("T")


def build(options: TargetOptions) -> HardwareTarget:
    """The bench file names the devices; the operator script, if any, answers for the
    person at the bench, who is otherwise asked at the terminal."""
    if options.bench is None:
        raise TargetError("--target hardware needs --bench FILE (see docs/bench.md)")
    operator = (
        load_operator(options.operator)
        if options.operator is not None
        else PromptOperator(suspend_capture=options.suspend_capture)
    )
    return HardwareTarget(load_bench(options.bench), operator)


async def forget_on_client(bench: Bench, device: BenchDevice) -> None:
    """Drop the app's bond with the device, if the platform keeps one: a bond from
    the scenario before would meet a device that no longer has it."""
    client_options: BlueZClientArgs = {}
    if bench.adapter:
        client_options["adapter"] = bench.adapter
    found = await find_by_address(
        device.address,
        FORGET_SCAN_SECONDS,
        scan_window=bench.scan_window,
        adapter=bench.adapter or None,
    )
    if found is None:
        raise BenchBroken(f"bench broken: {device.name} is not advertising after 'prepare'")
    with contextlib.suppress(NotImplementedError, BleakError):
        await BleakClient(found, bluez=client_options).unpair()


async def on_bench_bluez(
    bench: Bench, action: Callable[[MessageBus, str], Awaitable[T]]
) -> T | None:
    """`action` on BlueZ's bench adapter over the system bus, where the bench machine
    runs BlueZ; None where it does not, or when BlueZ refuses. The BlueZ modules are
    imported here and in the actions: they need dbus-fast, which only Linux has."""
    try:
        from simulator.radio.bluez_bus import BluezError, system_bus
    except ImportError:  # no dbus-fast: not Linux
        return None
    try:
        bus = await system_bus()
    except BluezError:
        return None
    try:
        return await action(bus, bench.adapter or "hci0")
    except BluezError:
        return None
    finally:
        bus.disconnect()


async def drop_links_on_client(bench: Bench, addresses: Collection[str]) -> None:
    """End the app's links to a scenario's devices at once, with the kernel's mgmt
    Disconnect on the bench adapter: over the air the disconnect bluetoothd itself
    sends, without its 2 s DISCONNECT_TIMER first (docs/bluez-lane.md, learned 4).
    Where that is not allowed (btmgmt needs CAP_NET_ADMIN) or BlueZ is not there,
    the app's own disconnect ends them, 2 s later."""
    wanted = {address.upper() for address in addresses}

    async def drop(bus: MessageBus, adapter: str) -> None:
        from simulator.radio.bluez_host import drop_links

        await drop_links(bus, adapter, wanted)

    if wanted:
        await on_bench_bluez(bench, drop)


class OperatorHands(Hands):
    """What a person at a bench does to a physical device, asked through `ask`, which
    marks the bench broken when the operator fails. A bench device cannot be given
    a fault or a battery level, and its state is the operator's to see."""

    def __init__(
        self,
        target: str,
        ask: Callable[[Instruction], Awaitable[None]],
        operator: Operator,
        device: str,
    ) -> None:
        """`device` is the name the operator knows the device by."""
        self.target = target
        self.ask = ask
        self.operator = operator
        self.device = device

    async def act(self, action: str, **parameters: Any) -> None:
        await self.ask(Instruction(action, self.device, parameters))

    async def inject(self, fault: str, **parameters: Any) -> None:
        raise TargetError(f"the {self.target} target cannot inject {fault!r}")

    async def clear(self, fault: str) -> None:
        raise TargetError(f"the {self.target} target cannot clear {fault!r}")

    async def set_battery(self, part: str, level: int) -> None:
        raise TargetError(f"the {self.target} target cannot set the {part} battery")

    async def pass_time(self, seconds: float) -> None:
        await self.ask(Instruction("wait", self.device, {"seconds": int(seconds)}))

    async def observe(self, what: str) -> bool:
        try:
            await self.operator.perform(Instruction(f"observe_{what}", self.device))
        except OperatorError:
            return False
        return True

    async def snapshot(self) -> dict[str, Any] | None:
        return None


class OperatedTarget(Target):
    """A target whose physical actions a person (or a script) performs. An action that
    fails leaves the bench broken: every later scenario fails at once with that reason
    instead of acting on a bench in an unknown state."""

    def __init__(self, operator: Operator) -> None:
        self.operator = operator
        self.broken: str | None = None

    async def ask(self, instruction: Instruction) -> None:
        if self.broken:
            raise BenchBroken(self.broken)
        try:
            await self.operator.perform(instruction)
        except OperatorError as error:
            self.broken = f"bench broken: {error}"
            raise BenchBroken(self.broken) from error


class HardwareTarget(OperatedTarget):
    name = "hardware"
    abilities = frozenset(
        {
            Ability.PHYSICAL_ACTIONS,
            Ability.STALE_BOND_RECOVERY,
            Ability.NOTIFICATION_SCENARIOS,
            Ability.OUT_OF_RANGE,
        }
    )

    def __init__(
        self,
        bench: Bench,
        operator: Operator,
        app_forgets: Callable[[Bench, BenchDevice], Awaitable[None]] = forget_on_client,
        app_lets_go: Callable[[Bench, Collection[str]], Awaitable[None]] = drop_links_on_client,
    ) -> None:
        super().__init__(operator)
        self.bench = bench
        self.app_forgets = app_forgets
        self.app_lets_go = app_lets_go
        self._in_use: set[str] = set()

    async def start(self) -> None:
        if len(self.bench.devices) > 1:
            self.abilities = self.abilities | {Ability.SEVERAL_DEVICES}
        self.abilities = frozenset(a for a in self.abilities if a.value not in self.bench.cannot)
        self.limits = dict(self.bench.cannot)

    async def stop(self) -> None:
        self._in_use.clear()

    def offers(self, model: ModelSpec) -> bool:
        return any(device.model.key == model.key for device in self.bench.devices)

    async def provide(self, model: ModelSpec, *, pairing_mode: bool = True) -> DeviceUnderTest:
        if self.broken:
            raise BenchBroken(self.broken)
        device = next(
            (
                d
                for d in self.bench.devices
                if d.model.key == model.key and d.address not in self._in_use
            ),
            None,
        )
        if device is None:
            raise TargetError(f"{self.bench.path} has no free {model.display_name}")
        self._in_use.add(device.address)
        hands = OperatorHands(self.name, self.ask, self.operator, device.name)
        # A bench device keeps its state between scenarios; a simulated one starts
        # fresh. So it is prepared (charged, reset: no bond), and the app forgets it.
        await hands.act("prepare")
        await self.app_forgets(self.bench, device)
        await hands.act("enter_pairing_mode" if pairing_mode else "leave_pairing_mode")
        return DeviceUnderTest(device.name, model, device.address, device.name, hands)

    async def release(self) -> None:
        in_use, self._in_use = self._in_use, set()
        await self.app_lets_go(self.bench, in_use)

    async def app_holds_bond(self, address: str) -> bool | None:
        """BlueZ's record of the device on the bench adapter, where the bench machine runs
        BlueZ; None elsewhere (another platform keeps its bonds out of reach)."""

        async def bonded(bus: MessageBus, adapter: str) -> bool:
            from simulator.radio.bluez_host import address_of, peers

            for path, props in (await peers(bus, adapter)).items():
                if address_of(path) == address.upper():
                    return bool(props.get("Bonded", props.get("Paired", False)))
            return False

        return await on_bench_bluez(self.bench, bonded)

    def client_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"allowed_addresses": self.bench.allowed_addresses}
        if self.bench.adapter is not None:
            options["adapter"] = self.bench.adapter
        if self.bench.scan_window is not None:
            options["scan_window"] = self.bench.scan_window
        return options

    def firmware(self) -> dict[str, str]:
        return {device.model.display_name: "as on the bench" for device in self.bench.devices}

    async def ready_for_command(self, model: ModelSpec, faults: Sequence[str]) -> dict[str, Any]:
        """A command finds the bench's devices as they are: nobody is asked to prepare
        one, and the client may reach only the bench's addresses."""
        if faults:
            raise TargetError(
                "the hardware target cannot start a device with a fault: its devices are "
                "physical (--fault is for simulated targets)"
            )
        return self.client_options()
