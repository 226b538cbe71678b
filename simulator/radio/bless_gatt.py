"""The same GATT table on bless, so a simulated device can run on a real adapter
(BlueZ, macOS, Windows). Like the bumble adapter it holds no device behaviour.

What bless cannot do: it advertises the local name and its first service only
(no manufacturer data, so no pairing-state byte), and it leaves pairing, bonds
and links to the operating system. On BlueZ, `bluez_host.BluezController` adds
those over D-Bus; elsewhere the adapter serves the GATT table alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from bless import BlessServer  # type: ignore[attr-defined]  # chosen per platform
from bless.backends.attribute import GATTAttributePermissions as Permission
from bless.backends.characteristic import GATTCharacteristicProperties as Property

from iqos.protocol import Advertisement, fragment, uuids
from simulator.device import SimulatedDevice
from simulator.faults import LinkFault
from simulator.radio.control_point import ControlPoint

if TYPE_CHECKING:  # dbus-fast, and so the controller, exists on Linux only
    from simulator.radio.bluez_host import BluezController

_ENCRYPTED_READ = Permission.readable | Permission.read_encryption_required
_ENCRYPTED_WRITE = Permission.writeable | Permission.write_encryption_required
SCP_NOTIFY_SIZE = 20
log = logging.getLogger(__name__)


def gatt_tree(device: SimulatedDevice) -> dict[str, dict[str, dict[str, Any]]]:
    """The device's GATT table in bless' `add_gatt` form: the same services,
    characteristics, properties and permissions as the bumble adapter serves."""
    profile = device.profile

    def text(value: str) -> dict[str, Any]:
        return {
            "Properties": Property.read,
            "Permissions": Permission.readable,
            "Value": bytearray(value.encode()),
        }

    return {
        uuids.DEVICE_INFORMATION: {
            uuids.MODEL_NUMBER: text(profile.spec.model_number),
            uuids.SERIAL_NUMBER: text(profile.serial),
            uuids.SOFTWARE_REVISION: text(profile.software_revision),
            uuids.MANUFACTURER_NAME: text(profile.manufacturer),
        },
        uuids.RRP_SERVICE: {
            uuids.SCP_CONTROL_POINT: {
                "Properties": Property.write | Property.notify,
                "Permissions": _ENCRYPTED_WRITE,
                "Value": bytearray(),
            },
            uuids.BATTERY_INFORMATION: {
                "Properties": Property.read | Property.notify,
                "Permissions": _ENCRYPTED_READ,
                "Value": bytearray(device.battery().encode()),
            },
            uuids.DEVICE_STATUS: {
                "Properties": Property.read | Property.notify,
                "Permissions": _ENCRYPTED_READ,
                "Value": bytearray(device.status().encode()),
            },
            uuids.FIRMWARE_UPGRADE_CONTROL: {
                "Properties": Property.read,
                "Permissions": _ENCRYPTED_READ,
                "Value": bytearray(4),
            },
            uuids.FIRMWARE_UPGRADE_STATUS: {
                "Properties": Property.notify,
                "Permissions": _ENCRYPTED_READ,
                "Value": bytearray(),
            },
            uuids.UNKNOWN_WRITE_NO_RESPONSE: {
                "Properties": Property.write_without_response,
                "Permissions": _ENCRYPTED_WRITE,
                "Value": bytearray(),
            },
            uuids.UNKNOWN_WRITE_NOTIFY: {
                "Properties": Property.write | Property.notify,
                "Permissions": _ENCRYPTED_WRITE,
                "Value": bytearray(),
            },
        },
    }


class LinkDropped(RuntimeError):
    """A request the device dropped the link on, instead of answering it."""


class BlessPeripheral:
    """Serves one simulated device through a bless server (`server` is injectable for tests).

    With a `controller` (BlueZ), the device is whole: the advertisement carries
    the pairing state, pairings are decided by the device, bonds are forgotten
    on a reset, and link faults drop the link. Without one, bless advertises
    on its own and pairing is the operating system's business.
    """

    def __init__(
        self,
        device: SimulatedDevice,
        adapter: str | None = None,
        server: Callable[..., Any] = BlessServer,
        controller: BluezController | None = None,
    ) -> None:
        self.device = device
        self.control_point = ControlPoint(device)
        self.server = server(name=device.name, adapter=adapter)
        self.server.read_request_func = self._read
        self.server.write_request_func = self._write
        self.controller = controller
        self._advertised: Advertisement | None = None
        """What is on air; None while the device does not advertise."""
        self._bonded_peers: set[str] = set()
        self._pairable: bool | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._turn = asyncio.Lock()
        device.listeners.append(self._on_device_change)

    async def start(self) -> None:
        if self.controller is None:
            await self.server.add_gatt(gatt_tree(self.device))
            await self.server.start()
            return
        await self.server.setup_task
        # Out of /org/bluez/, where bless puts it: bleak takes any object added
        # under /org/bluez/ for BlueZ's own, and chokes on these services.
        self.server.app.base_path = f"/org/iqoshil/simulator/{self.controller.adapter}/gatt"
        self.server.app.StartNotify = self._on_subscription
        await self.server.add_gatt(gatt_tree(self.device))
        all_primary(self.server.app)
        await self.controller.watch()
        await _register_application(self.server)
        await self._update_pairable()
        await self._advertise()

    async def stop(self) -> None:
        """Off the air: no advertisement, no GATT application, no peers, no listeners.

        BlueZ updates under way are waited for, not cancelled: a cancelled call
        still runs in bluetoothd, and the unregistration below could overtake a
        registration there, which made bluetoothd 5.66 abort (docs/bluez-lane.md)."""
        if self._on_device_change in self.device.listeners:
            self.device.listeners.remove(self._on_device_change)
        for outcome in await asyncio.gather(*self._tasks, return_exceptions=True):
            if isinstance(outcome, Exception):
                log.warning("a BlueZ update failed before %s stopped: %s", self.device.name,
                            outcome)  # fmt: skip
        if self.controller is None:
            await self.server.stop()
            return
        await self.controller.unwatch()
        await self.controller.stop_advertising()
        await self.controller.forget_peers()
        await _unregister_application(self.server)

    # --- BlueZ: advertising, bonds, links ---------------------------------------------

    def advertisement(self) -> Advertisement:
        return Advertisement(name=self.device.name, pairing_state=self.device.pairing_state)

    async def _advertise(self) -> None:
        """On air what the device advertises, or nothing once its advertising window
        has closed."""
        wanted = self.advertisement() if self.device.advertising else None
        if self.controller is None or wanted == self._advertised:
            return
        self._advertised = wanted
        if wanted is None:
            await self.controller.stop_advertising()
        else:
            await self.controller.advertise(wanted)

    def peer_bonded(self, peer: str) -> None:
        if peer in self._bonded_peers:
            return  # BlueZ signals `Bonded`, and may signal `Paired` later
        self._bonded_peers.add(peer)
        self.device.bonded(peer)

    def peer_left(self, _peer: str) -> None:
        """A new link starts a new SCP exchange, as on the bumble adapter."""
        self.control_point.reset()

    async def _update_pairable(self) -> None:
        """A device out of pairing mode (or with the refuse_pairing fault) refuses new
        pairings; its controller is made non-bondable to refuse them on air."""
        pairable = self.device.accepts_new_pairings
        if self.controller is not None and pairable != self._pairable:
            self._pairable = pairable
            await self.controller.set_pairable(pairable)

    async def _after_change(self) -> None:
        if self.controller is None:
            return
        await self._update_pairable()
        forgotten = self._bonded_peers - self.device.bonds
        if forgotten:
            self._bonded_peers -= forgotten
            await self.controller.forget_peers(forgotten)
        await self._advertise()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a BlueZ update after the ones before it: a reset's removal of a peer
        must not land after the pairing that follows it."""
        task = asyncio.get_running_loop().create_task(self._in_turn(coroutine))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _in_turn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        try:
            async with self._turn:
                await coroutine
        finally:
            coroutine.close()  # cancelled while waiting its turn (stop): never started

    async def settled(self) -> None:
        """Return once BlueZ shows every change of the device so far (advertisement,
        bonds, pairability, links); raise the first BlueZ error among them. Whoever
        changed the device waits on this before telling anyone it is done."""
        while self._tasks:
            outcomes = await asyncio.gather(*list(self._tasks), return_exceptions=True)
            for outcome in outcomes:
                if isinstance(outcome, Exception):
                    raise outcome

    # --- GATT -------------------------------------------------------------------------

    def _read(self, characteristic: Any, **_: Any) -> bytearray:
        """bless answers a read as soon as this returns, so a read on which the device
        drops the link (`ControlPoint.drops_link`) is refused instead of answered, and
        the link follows it out."""
        if self.control_point.drops_link():
            self._drop_link()
            raise LinkDropped(f"{self.device.name} drops the link instead of answering")
        uuid = str(characteristic.uuid).lower()
        if uuid == uuids.BATTERY_INFORMATION:
            return bytearray(self.device.battery().encode())
        if uuid == uuids.DEVICE_STATUS:
            return bytearray(self.device.status().encode())
        return bytearray(characteristic.value or b"")

    def _write(self, characteristic: Any, value: Any, **_: Any) -> None:
        if str(characteristic.uuid).lower() != uuids.SCP_CONTROL_POINT:
            return
        reply = self.control_point.write(bytes(value))
        if reply is None:
            return
        if reply.disconnect:
            self._drop_link()
            return
        asyncio.get_running_loop().call_later(reply.delay, self._notify_answer, reply.wire)

    def _drop_link(self) -> None:
        if self.controller is not None:
            self._spawn(self.controller.disconnect())

    def _notify_answer(self, wire: bytes) -> None:
        characteristic = self.server.get_characteristic(uuids.SCP_CONTROL_POINT)
        for piece in fragment(wire, SCP_NOTIFY_SIZE):
            characteristic.value = bytearray(piece)
            self.server.update_value(uuids.RRP_SERVICE, uuids.SCP_CONTROL_POINT)

    def _on_subscription(self, _characteristic: None) -> None:
        """bless tells of a subscription before it records which characteristic it is
        (and without saying), so the current values follow once it has, to whatever
        is subscribed then: where the profile's `notify_on_subscribe` asks for them."""
        if self.device.profile.behaviour.notify_on_subscribe:
            asyncio.get_running_loop().call_soon(self._notify_current)

    def _notify_current(self) -> None:
        if self.device.link_fault(LinkFault.DROP_NOTIFICATIONS):
            return
        subscribed = set(self.server.app.subscribed_characteristics)
        for uuid in (uuids.BATTERY_INFORMATION, uuids.DEVICE_STATUS):
            if uuid in subscribed:
                self.server.update_value(uuids.RRP_SERVICE, uuid)

    def _on_device_change(self) -> None:
        if self.controller is not None:
            self._spawn(self._after_change())
        if self.device.link_fault(LinkFault.DROP_NOTIFICATIONS):
            return
        for uuid, value in (
            (uuids.BATTERY_INFORMATION, self.device.battery().encode()),
            (uuids.DEVICE_STATUS, self.device.status().encode()),
        ):
            characteristic = self.server.get_characteristic(uuid)
            if characteristic is not None and bytes(characteristic.value or b"") != value:
                characteristic.value = bytearray(value)
                self.server.update_value(uuids.RRP_SERVICE, uuid)


def all_primary(application: Any) -> None:
    """Every service of bless 0.3's BlueZ application made primary, as on a real IQOS.

    bless makes only the first service added primary and every later one
    secondary, so the RRP service was secondary: a client that looks for it by
    primary service discovery, as phones do, would not find it, and BlueZ found
    it only by a second, secondary discovery (docs/bluez-lane.md)."""
    for service in application.services:
        service._primary = True


async def _register_application(server: Any) -> None:
    """bless 0.3's `start()` without its advertisement (see docs/bluez-lane.md)."""
    await server.setup_task
    server.bus.export(server.app.path, server.app)
    await server.app.register(server.adapter)


async def _unregister_application(server: Any) -> None:
    """bless 0.3's `stop()` without its advertisement, and its D-Bus connection closed:
    a connection per scenario would pile up against the bus's per-user limit."""
    await server.app.unregister(server.adapter)
    server.bus.unexport(server.app.path, server.app)
    server.bus.disconnect()
