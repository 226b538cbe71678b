"""Guest side: bring BlueZ to a usable state, say when it is, then serve pairing.

Runs inside the guest, started by stage2.sh before bluetoothd so that its slow
Python start overlaps bluetoothd's. It owns btvirt, because the only cure for
btvirt 5.66 losing a controller is to recreate them, and only a process that
watches D-Bus knows that it happened. Readiness is what a test needs, read from
D-Bus: org.bluez on the bus, and the wanted number of adapters Powered.

Neither bless nor bleak registers a pairing agent, and without one BlueZ
refuses every pairing with "No agent available", so this process also serves a
NoInputNoOutput agent (Just Works) as the default agent, for as long as the
guest lives.

    python -m harness.guest.bringup --results DIR [--controllers 2] [--clients 1] [--timeout 180]

Writes DIR/ready.json (guest uptimes of each step, and the guest's measured
slowness) and DIR/guest.env (the adapter names for the job: the last CLIENTS
are the client's, the others the simulated devices'; and the slowness its
deadlines are multiplied by, `harness.guest.speed`), both only once ready;
exits non-zero with the reason otherwise.
"""

import argparse
import asyncio
import contextlib
import json
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from harness.guest.speed import SLOWNESS, calibrate, slowness_of
from simulator.radio.bluez_bus import BluezError, call, system_bus
from simulator.radio.bluez_objects import JustWorksAgent

AGENT_PATH = "/org/iqoshil/agent"
ADAPTER_IFACE = "org.bluez.Adapter1"
#: btvirt options: LE-only controllers, because dual-mode ones crashed the 6.1
#: kernel after LE pairing.
BTVIRT = ("btvirt", "-L")
#: How long one btvirt attempt may take to give powered adapters, counted from
#: bluetoothd's arrival; a lost controller shows as a shortfall at the deadline.
#: Adapters were powered 1.2 to 2.6 s after bluetoothd in ten boots, two guests
#: side by side included, and btvirt lost a controller in three of them: each
#: loss costs this much of the lane's time.
ATTEMPT_SECONDS = 10.0
ATTEMPTS = 3
#: What the readiness waits wake on: bluetoothd's arrival and its objects' changes.
WATCHED = (
    "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='org.bluez'",
    "type='signal',sender='org.bluez'",
)


def uptime() -> float:
    """Seconds since the guest kernel started, the clock the console markers use."""
    return float(Path("/proc/uptime").read_text().split()[0])


@dataclass
class Adapter:
    path: str
    address: str
    powered: bool

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def adapters_from_objects(objects: dict[str, dict[str, dict[str, Variant]]]) -> list[Adapter]:
    """The Adapter1 objects of a GetManagedObjects answer, ordered by HCI index."""
    found = [
        Adapter(path, props["Address"].value, bool(props["Powered"].value))
        for path, interfaces in objects.items()
        if (props := interfaces.get(ADAPTER_IFACE)) is not None
    ]
    return sorted(found, key=lambda adapter: int(adapter.name.removeprefix("hci")))


def guest_env(adapters: list[Adapter], clients: int = 1, slowness: float = 1.0) -> str:
    """Shell exports naming the adapters as the bluez target reads them: the last
    `clients` are the client's (one per pytest worker), each other one serves one
    simulated device; and the factor of the job's deadlines."""
    devices, client = adapters[:-clients], adapters[-clients:]
    lines = {
        "IQOS_BLUEZ_DEVICE_ADAPTERS": ",".join(adapter.name for adapter in devices),
        "IQOS_BLUEZ_CLIENT_ADAPTER": ",".join(adapter.name for adapter in client),
        SLOWNESS: f"{slowness:g}",
    }
    return "".join(f"export {key}={value}\n" for key, value in lines.items())


def write_atomically(path: Path, text: str) -> None:
    """Readers poll for the file's existence, so it must appear complete."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)


@dataclass
class BringUp:
    bus: MessageBus
    controllers: int
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    times: dict[str, float] = field(default_factory=dict)
    btvirt: subprocess.Popen[bytes] | None = None

    def on_message(self, message: Message) -> None:
        if message.message_type is MessageType.SIGNAL:
            self.changed.set()

    async def bus_daemon(self, member: str, signature: str, body: list[Any]) -> list[Any]:
        """A call to the bus daemon itself, about names and match rules."""
        return await call(
            self.bus, "/org/freedesktop/DBus", "org.freedesktop.DBus", member, signature, body,
            destination="org.freedesktop.DBus",
        )  # fmt: skip

    async def watch(self) -> None:
        """Wake the waits on any change of bus names or of BlueZ's objects."""
        self.bus.add_message_handler(self.on_message)
        await self._match_rules("AddMatch")

    async def unwatch(self) -> None:
        """Once ready, stop hearing every BlueZ signal: the daemon then only answers
        the agent's calls, where decoding the tests' signal traffic cost it 14 s
        of CPU in half of the bluez lane."""
        self.bus.remove_message_handler(self.on_message)
        await self._match_rules("RemoveMatch")

    async def _match_rules(self, member: str) -> None:
        for rule in WATCHED:
            await self.bus_daemon(member, "s", [rule])

    async def next_change(self, deadline: float) -> None:
        """Wait for a signal; the 1 s cap covers a change between check and match."""
        self.changed.clear()
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise TimeoutError
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.changed.wait(), timeout=min(1.0, remaining))

    async def wait_for_bluez(self, deadline: float) -> None:
        while True:
            (owned,) = await self.bus_daemon("NameHasOwner", "s", ["org.bluez"])
            if owned:
                self.times["bluetoothd_ready"] = uptime()
                return
            await self.next_change(deadline)

    async def register_agent(self) -> None:
        self.bus.export(AGENT_PATH, JustWorksAgent(log=lambda line: print(line, flush=True)))
        manager = ("/org/bluez", "org.bluez.AgentManager1")
        await call(self.bus, *manager, "RegisterAgent", "os", [AGENT_PATH, "NoInputNoOutput"])
        await call(self.bus, *manager, "RequestDefaultAgent", "o", [AGENT_PATH])
        self.times["agent_registered"] = uptime()

    async def adapters(self) -> list[Adapter]:
        (objects,) = await call(
            self.bus, "/", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"
        )
        return adapters_from_objects(objects)

    async def power_on(self, deadline: float) -> list[Adapter]:
        """Power every adapter BlueZ knows until enough are Powered, or time is up."""
        asked: set[str] = set()
        while True:
            adapters = await self.adapters()
            powered = [adapter for adapter in adapters if adapter.powered]
            if len(powered) >= self.controllers:
                return powered
            for adapter in adapters:
                if adapter.powered or adapter.path in asked:
                    continue
                try:
                    await call(
                        self.bus,
                        adapter.path,
                        "org.freedesktop.DBus.Properties",
                        "Set",
                        "ssv",
                        [ADAPTER_IFACE, "Powered", Variant("b", True)],
                    )
                    asked.add(adapter.path)
                except BluezError as failed:
                    # Busy: bluetoothd's AutoEnable is powering it already, or it is
                    # still being set up; the next change tells which.
                    if failed.error_name != "org.bluez.Error.Busy":
                        raise
            await self.next_change(deadline)

    def start_btvirt(self, log: Path) -> None:
        with log.open("ab") as sink:
            self.btvirt = subprocess.Popen(
                [*BTVIRT, f"-l{self.controllers}"], stdout=sink, stderr=subprocess.STDOUT
            )

    def stop_btvirt(self) -> None:
        if self.btvirt is not None:
            self.btvirt.terminate()
            self.btvirt.wait()
            self.btvirt = None


async def bring_up(results: Path, controllers: int, clients: int, timeout: float) -> int:
    started = uptime()
    loop = asyncio.get_running_loop()
    overall = loop.time() + timeout
    bus = await system_bus()
    state = BringUp(bus, controllers)
    state.times["bringup_started"] = started
    await state.watch()
    state.start_btvirt(results / "btvirt.log")
    try:
        await state.wait_for_bluez(overall)
        await state.register_agent()
        powered: list[Adapter] = []
        for attempt in range(1, ATTEMPTS + 1):
            deadline = min(overall, loop.time() + ATTEMPT_SECONDS)
            try:
                powered = await state.power_on(deadline)
                break
            except TimeoutError:
                seen = [adapter.name for adapter in await state.adapters()]
                print(
                    f"bringup: attempt {attempt}: only {seen} after {ATTEMPT_SECONDS:.0f} s, "
                    "recreating the btvirt controllers",
                    flush=True,
                )
                state.stop_btvirt()
                if attempt == ATTEMPTS or loop.time() >= overall:
                    raise
                state.start_btvirt(results / "btvirt.log")
        state.times["adapters_powered"] = uptime()
    except TimeoutError:
        print(
            f"bringup: BlueZ not ready within {timeout:.0f} s; times so far {state.times}",
            file=sys.stderr,
            flush=True,
        )
        return 2
    # Now, with the controllers powered and the job not started, the guest is idle:
    # what slows the workload is the host.
    calibration = calibrate()
    slowness = slowness_of(calibration)
    ready = {
        "times": state.times,
        "attempts": attempt,
        "adapters": [{"name": a.name, "address": a.address} for a in powered],
        "calibration_seconds": round(calibration, 4),
        "slowness": slowness,
    }
    write_atomically(results / "ready.json", json.dumps(ready, indent=2) + "\n")
    await state.unwatch()
    write_atomically(results / "guest.env", guest_env(powered, clients, slowness))
    print(f"bringup: ready {json.dumps(ready)}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    state.stop_btvirt()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.guest.bringup")
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--controllers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    return asyncio.run(bring_up(args.results, args.controllers, args.clients, args.timeout))


if __name__ == "__main__":
    sys.exit(main())
