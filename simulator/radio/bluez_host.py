"""One BlueZ controller as the radio of one simulated device: what bless leaves out.

bless serves the GATT table. A real IQOS also advertises its pairing state,
refuses pairing outside pairing mode, keeps bonds it can forget on a reset,
and drops links; on BlueZ each of those is a D-Bus call on the controller
(an advertisement, the agent, `Device1` peers), made here with dbus-fast,
the D-Bus library bleak already brings.

A controller carries one advertised name (bless sets the adapter's alias), so
each simulated device needs a controller of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from iqos.protocol import Advertisement
from simulator.device import SimulatedDevice
from simulator.radio.bless_gatt import BlessPeripheral
from simulator.radio.bluez_bus import BLUEZ, BluezError, call
from simulator.radio.bluez_objects import JustWorksAgent, LEAdvertisement

ADAPTER = "org.bluez.Adapter1"
DEVICE = "org.bluez.Device1"
PROPERTIES = "org.freedesktop.DBus.Properties"
AGENT_PATH = "/org/iqoshil/simulator/agent"
BTMGMT_SECONDS = 5.0
"""For btmgmt to send one Disconnect: it answers in milliseconds, or hangs on a
controller that does not."""


def address_of(device_path: str) -> str:
    """`/org/bluez/hci0/dev_00_AA_01_01_00_01` -> `00:AA:01:01:00:01`."""
    return device_path.rsplit("/dev_", 1)[-1].replace("_", ":")


def adapter_of(device_path: str) -> str:
    """`/org/bluez/hci0/dev_...` -> `hci0`."""
    return device_path.split("/")[3] if device_path.count("/") >= 4 else ""


async def adapter_address(bus: MessageBus, adapter: str) -> str:
    try:
        (value,) = await call(
            bus, f"/org/bluez/{adapter}", PROPERTIES, "Get", "ss", [ADAPTER, "Address"]
        )
    except BluezError as error:
        raise BluezError(f"no BlueZ adapter {adapter}: {error}") from error
    return str(value.value)


async def peers(bus: MessageBus, adapter: str) -> dict[str, dict[str, Any]]:
    """Device1 objects under the adapter, by path, with their properties unwrapped."""
    (objects,) = await call(bus, "/", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
    prefix = f"/org/bluez/{adapter}/dev_"
    return {
        path: {name: variant.value for name, variant in interfaces[DEVICE].items()}
        for path, interfaces in objects.items()
        if path.startswith(prefix) and DEVICE in interfaces
    }


async def forget(bus: MessageBus, adapter: str, address: str) -> None:
    """RemoveDevice: drops the bond and the GATT cache, and the link if there is one."""
    path = f"/org/bluez/{adapter}/dev_{address.upper().replace(':', '_')}"
    with contextlib.suppress(BluezError):  # BlueZ never saw it: nothing to forget
        await call(bus, f"/org/bluez/{adapter}", ADAPTER, "RemoveDevice", "o", [path])


async def drop_link(bus: MessageBus, device_path: str, address_type: str) -> None:
    """End a link now, with the kernel's mgmt Disconnect (through btmgmt).

    BlueZ's own Device1.Disconnect and RemoveDevice wait DISCONNECT_TIMER (2 s)
    for profiles to let go before the link goes, which would add 2 s to every
    scenario; and this Python has no AF_BLUETOOTH socket to speak mgmt itself.
    Without btmgmt, the D-Bus way still works, slowly. A btmgmt that does not
    answer within BTMGMT_SECONDS is killed, and the link left to whoever ends it
    next (a forget, the app's own disconnect)."""
    index = adapter_of(device_path).removeprefix("hci")
    kind = "2" if address_type == "random" else "1"
    try:
        process = await asyncio.create_subprocess_exec(
            "btmgmt", "--index", index, "disconnect", "-t", kind, address_of(device_path),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
    except FileNotFoundError:
        with contextlib.suppress(BluezError):
            await call(bus, device_path, DEVICE, "Disconnect")
        return
    try:
        async with asyncio.timeout(BTMGMT_SECONDS):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()


async def drop_links(bus: MessageBus, adapter: str, addresses: set[str] | None = None) -> None:
    """End the links of `adapter` to these peers (all when None) at once."""
    for path, props in (await peers(bus, adapter)).items():
        if props.get("Connected") and (addresses is None or address_of(path) in addresses):
            await drop_link(bus, path, str(props.get("AddressType", "public")))


async def register_agent(bus: MessageBus) -> None:
    """Our Just Works agent as BlueZ's default (see JustWorksAgent for why)."""
    bus.export(AGENT_PATH, JustWorksAgent())
    manager = ("/org/bluez", "org.bluez.AgentManager1")
    await call(bus, *manager, "RegisterAgent", "os", [AGENT_PATH, "NoInputNoOutput"])
    await call(bus, *manager, "RequestDefaultAgent", "o", [AGENT_PATH])


async def unregister_agent(bus: MessageBus) -> None:
    with contextlib.suppress(BluezError):
        await call(bus, "/org/bluez", "org.bluez.AgentManager1", "UnregisterAgent", "o",
                   [AGENT_PATH])  # fmt: skip
    bus.unexport(AGENT_PATH)


class BluezController:
    """The device side of one controller: advertising, peers, bonds, links.

    `on_bonded(peer)` runs when a peer finishes pairing with bonding (BlueZ 5.66
    signals `Bonded` at once, and `Paired` only once it has resolved the peer's
    services, which a bluetoothd without reverse service discovery never does),
    `on_disconnected(peer)` when a peer's link ends, and `on_connected(peer)`
    (if given) when one begins."""

    def __init__(
        self,
        bus: MessageBus,
        adapter: str,
        on_bonded: Callable[[str], None],
        on_disconnected: Callable[[str], None],
        on_connected: Callable[[str], None] | None = None,
    ) -> None:
        self.bus = bus
        self.adapter = adapter
        self.path = f"/org/bluez/{adapter}"
        self.on_bonded = on_bonded
        self.on_disconnected = on_disconnected
        self.on_connected = on_connected
        self._advertisements: list[str] = []
        self._generation = 0
        self._watching = False

    # --- advertising ------------------------------------------------------------------

    async def advertise(self, advertisement: Advertisement) -> None:
        """Put `advertisement` on air, replacing the last one (BlueZ reads an
        advertisement's properties once, at registration).

        It is registered twice. A real radio repeats an advertisement every
        interval; btvirt's controllers report one only when scanning or
        advertising is switched on, and the kernel drops a report that arrives
        before its discovery has started, so a scan could miss the device for
        good. With two instances the kernel rotates them every second, switching
        advertising on each time: the device is heard again within a second."""
        await self.stop_advertising()
        await call(self.bus, self.path, PROPERTIES, "Set", "ssv",
                   [ADAPTER, "Alias", Variant("s", advertisement.name)])  # fmt: skip
        self._generation += 1
        for copy in (1, 2):
            path = f"/org/iqoshil/simulator/{self.adapter}/advertisement{self._generation}_{copy}"
            self.bus.export(path, LEAdvertisement.of(advertisement))
            self._advertisements.append(path)
            await call(self.bus, self.path, "org.bluez.LEAdvertisingManager1",
                       "RegisterAdvertisement", "oa{sv}", [path, {}])  # fmt: skip

    async def stop_advertising(self) -> None:
        paths, self._advertisements = self._advertisements, []
        for path in paths:
            with contextlib.suppress(BluezError):
                await call(self.bus, self.path, "org.bluez.LEAdvertisingManager1",
                           "UnregisterAdvertisement", "o", [path])  # fmt: skip
            self.bus.unexport(path)

    async def set_pairable(self, pairable: bool) -> None:
        """Bondable or not: a non-bondable controller refuses every bonding pairing
        with "pairing not supported" (the kernel's SMP answers, no agent asked)."""
        await call(self.bus, self.path, PROPERTIES, "Set", "ssv",
                   [ADAPTER, "Pairable", Variant("b", pairable)])  # fmt: skip

    # --- peers ------------------------------------------------------------------------

    async def watch(self) -> None:
        """Follow the peers' Bonded, Paired and Connected properties from BlueZ's signals."""
        if self._watching:
            return
        self._watching = True
        self.bus.add_message_handler(self._on_message)
        await self._match_rules("AddMatch")

    async def unwatch(self) -> None:
        """Stop following; the rules go too, or each device served on a long-lived
        bus would leave its own for the bus daemon to test every signal against."""
        if not self._watching:
            return
        self._watching = False
        self.bus.remove_message_handler(self._on_message)
        with contextlib.suppress(BluezError):
            await self._match_rules("RemoveMatch")

    def _rules(self) -> tuple[str, ...]:
        signal = f"type='signal',sender='{BLUEZ}'"
        return (
            f"{signal},interface='{PROPERTIES}',member='PropertiesChanged',"
            f"path_namespace='{self.path}'",
            f"{signal},interface='org.freedesktop.DBus.ObjectManager',"
            f"member='InterfacesAdded',arg0path='{self.path}/'",
        )

    async def _match_rules(self, member: str) -> None:
        for rule in self._rules():
            await call(self.bus, "/org/freedesktop/DBus", "org.freedesktop.DBus", member,
                       "s", [rule], destination="org.freedesktop.DBus")  # fmt: skip

    def _on_message(self, message: Message) -> None:
        if message.message_type is not MessageType.SIGNAL:
            return
        if message.member == "InterfacesAdded":
            self._on_peer_added(message)
            return
        if (
            message.member != "PropertiesChanged"
            or not message.body
            or message.body[0] != DEVICE
            or not (message.path or "").startswith(self.path + "/dev_")
        ):
            return
        changed: dict[str, Variant] = message.body[1]
        peer = address_of(message.path or "")
        if any(name in changed and changed[name].value for name in ("Bonded", "Paired")):
            self.on_bonded(peer)
        if "Connected" in changed:
            if not changed["Connected"].value:
                self.on_disconnected(peer)
            elif self.on_connected is not None:
                self.on_connected(peer)

    def _on_peer_added(self, message: Message) -> None:
        """A peer BlueZ did not know yet arrives connected, in InterfacesAdded."""
        path, interfaces = message.body[0], message.body[1]
        if not str(path).startswith(self.path + "/dev_") or DEVICE not in interfaces:
            return
        connected = interfaces[DEVICE].get("Connected")
        if connected is not None and connected.value and self.on_connected is not None:
            self.on_connected(address_of(str(path)))

    async def disconnect(self) -> None:
        """Drop every link at once, as a device that stops talking mid-operation."""
        await drop_links(self.bus, self.adapter)

    async def forget_peers(self, addresses: set[str] | None = None) -> None:
        """Remove these peers (all when None): their links, then their bonds."""
        await forget_peers(self.bus, self.adapter, addresses)


async def forget_peers(bus: MessageBus, adapter: str, addresses: set[str] | None = None) -> None:
    """Remove these peers of `adapter` (all when None): their links, then their bonds.
    A process that serves devices calls it for all peers once, at its start: a new
    device holds no bond, and a killed predecessor leaves its bonds in BlueZ."""
    await drop_links(bus, adapter, addresses)
    for path in await peers(bus, adapter):
        address = address_of(path)
        if addresses is None or address in addresses:
            await forget(bus, adapter, address)


def serve_on_controller(bus: MessageBus, device: SimulatedDevice, adapter: str) -> BlessPeripheral:
    """A simulated device on one controller: bless for GATT, this module for the rest.
    Start it with `await peripheral.start()`; an agent must be registered."""

    def bonded(peer: str) -> None:
        peripheral.peer_bonded(peer)

    def left(peer: str) -> None:
        peripheral.peer_left(peer)

    peripheral = BlessPeripheral(
        device, adapter=adapter, controller=BluezController(bus, adapter, bonded, left)
    )
    return peripheral
