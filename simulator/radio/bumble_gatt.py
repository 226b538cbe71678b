"""Puts a simulated device on a bumble Device: GATT table, advertising, pairing.

It holds no device behaviour: reads come from the model's frames, SCP writes go
to `simulator.scp.answer`, and the model's change listeners trigger
notifications and new advertising data (none once the model's advertising
window has closed); where the profile's `notify_on_subscribe` asks, a
subscription gets the current value at once. Link faults (no answer, bad CRC,
dropped notifications, slow answers, disconnects) are applied here, since they
are about the link, not the device.

bumble's GATT server checks an attribute's security bits but not whether it may
be read or written at all, so `enforce_permissions` adds the checks a real
peripheral makes (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, NoReturn

from bumble import att, gatt, gatt_server, hci
from bumble.device import Connection, Device
from bumble.keys import MemoryKeyStore
from bumble.pairing import PairingConfig, PairingDelegate

from iqos.protocol import Advertisement, fragment, uuids
from simulator.device import SimulatedDevice
from simulator.faults import LinkFault
from simulator.radio.control_point import ControlPoint

_ENCRYPTED = gatt.Characteristic.READABLE | gatt.Characteristic.READ_REQUIRES_ENCRYPTION
_P = gatt.Characteristic.Properties
_R = att.Attribute.Permissions
_ENCRYPTION = _R.READ_REQUIRES_ENCRYPTION | _R.WRITE_REQUIRES_ENCRYPTION
_AUTHENTICATION = _R.READ_REQUIRES_AUTHENTICATION | _R.WRITE_REQUIRES_AUTHENTICATION
log = logging.getLogger(__name__)


def enforce_permissions(server: gatt_server.Server) -> None:
    """Give every characteristic and descriptor the checks a real ATT server makes.

    bumble's `Attribute.read_value` and `write_value` check only the security bits
    (`Server.on_att_write_request` says "TODO: check permissions"). So a value
    without WRITEABLE takes any write, and a plain one keeps it for the next client
    to read; a value served by functions raises InvalidOperationError instead, in
    the request's handler task, which then sends no response: the client waits for
    the 30 s ATT timeout. Here reads and writes the permissions lack are refused
    (Read / Write Not Permitted), and the configuration descriptor (CCCD) of a
    protected characteristic needs the same security to be written, as BlueZ's
    `encrypt-notify` gives it: subscribing must not leak what reading would not.
    Declarations are left alone: bumble's database hash reads them as plain bytes,
    and bleak cannot address them.
    """
    owner: gatt.Characteristic[Any] | None = None
    for attribute in server.attributes:
        if isinstance(attribute, gatt.Characteristic):
            owner = attribute
        elif not isinstance(attribute, gatt.Descriptor):
            continue
        elif attribute.type == gatt.GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR and owner:
            attribute.permissions |= _subscription_security(owner.permissions)
        _gate(attribute)


def _subscription_security(permissions: att.Attribute.Permissions) -> att.Attribute.Permissions:
    needed = _R(0)
    if permissions & _ENCRYPTION:
        needed |= _R.WRITE_REQUIRES_ENCRYPTION
    if permissions & _AUTHENTICATION:
        needed |= _R.WRITE_REQUIRES_AUTHENTICATION
    return needed


def _gate(attribute: att.Attribute[Any]) -> None:
    permissions = attribute.permissions
    if permissions & _R.READABLE and permissions & _R.WRITEABLE:
        return
    value = attribute.value
    dynamic = isinstance(value, att.AttributeValue | att.AttributeValueV2)
    source: Any = value if dynamic else _Kept(value)
    kind: Any = type(value) if dynamic else att.AttributeValue
    refused = att.ErrorCode
    attribute.value = kind(
        read=source.read if permissions & _R.READABLE else _refusal(refused.READ_NOT_PERMITTED),
        write=source.write if permissions & _R.WRITEABLE else _refusal(refused.WRITE_NOT_PERMITTED),
    )


class _Kept:
    """A plain value as bumble keeps one: read as it is, replaced by a write."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def read(self, _connection: Any) -> Any:
        return self.value

    def write(self, _connection: Any, value: Any) -> None:
        self.value = value


def _refusal(code: att.ErrorCode) -> Callable[..., NoReturn]:
    def refuse(*_: Any) -> NoReturn:
        raise att.ATT_Error(code)

    return refuse


class _Delegate(PairingDelegate):
    """Just Works (no input, no output), refusing when the device would."""

    def __init__(self, device: SimulatedDevice, peer: str) -> None:
        super().__init__(io_capability=PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT)
        self._device = device
        self._peer = peer

    async def accept(self) -> bool:
        return self._device.accepts_pairing(self._peer)

    async def confirm(self, auto: bool = False) -> bool:
        return self._device.accepts_pairing(self._peer)


class BumblePeripheral:
    def __init__(self, device: SimulatedDevice, radio: Device) -> None:
        self.device = device
        self.radio = radio
        self.connection: Connection | None = None
        self.control_point = ControlPoint(device)
        self._advertised: tuple[Any, ...] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._notified: dict[str, bytes] = {}
        self.keystore = MemoryKeyStore()
        radio.keystore = self.keystore
        radio.pairing_config_factory = lambda connection: PairingConfig(
            sc=True,
            mitm=False,
            bonding=True,
            identity_address_type=PairingConfig.AddressType.RANDOM,
            delegate=_Delegate(device, str(connection.peer_address)),
        )
        self._build_gatt()
        radio.on("connection", self._on_connection)
        device.listeners.append(self._on_device_change)

    def _build_gatt(self) -> None:
        profile = self.device.profile
        info = gatt.Service(
            uuids.DEVICE_INFORMATION,
            [
                gatt.Characteristic(
                    uuid, _P.READ, gatt.Characteristic.READABLE, self._served(value.encode)
                )
                for uuid, value in (
                    (uuids.MODEL_NUMBER, profile.spec.model_number),
                    (uuids.SERIAL_NUMBER, profile.serial),
                    (uuids.SOFTWARE_REVISION, profile.software_revision),
                    (uuids.MANUFACTURER_NAME, profile.manufacturer),
                )
            ],
        )
        self.scp: gatt.Characteristic[bytes] = gatt.Characteristic(
            uuids.SCP_CONTROL_POINT,
            _P.WRITE | _P.NOTIFY,
            gatt.Characteristic.WRITEABLE | gatt.Characteristic.WRITE_REQUIRES_ENCRYPTION,
            gatt.CharacteristicValue(write=self._on_scp_write),
        )
        self.battery: gatt.Characteristic[bytes] = gatt.Characteristic(
            uuids.BATTERY_INFORMATION,
            _P.READ | _P.NOTIFY,
            _ENCRYPTED,
            self._served(lambda: self.device.battery().encode()),
        )
        self.status: gatt.Characteristic[bytes] = gatt.Characteristic(
            uuids.DEVICE_STATUS,
            _P.READ | _P.NOTIFY,
            _ENCRYPTED,
            self._served(lambda: self.device.status().encode()),
        )
        rrp = gatt.Service(
            uuids.RRP_SERVICE,
            [
                self.scp,
                self.battery,
                self.status,
                gatt.Characteristic(
                    uuids.FIRMWARE_UPGRADE_CONTROL,
                    _P.READ,
                    _ENCRYPTED,
                    self._served(lambda: bytes(4)),
                ),
                gatt.Characteristic(uuids.FIRMWARE_UPGRADE_STATUS, _P.NOTIFY, _ENCRYPTED, b""),
                gatt.Characteristic(
                    uuids.UNKNOWN_WRITE_NO_RESPONSE,
                    _P.WRITE_WITHOUT_RESPONSE,
                    gatt.Characteristic.WRITEABLE | gatt.Characteristic.WRITE_REQUIRES_ENCRYPTION,
                    b"",
                ),
                gatt.Characteristic(
                    uuids.UNKNOWN_WRITE_NOTIFY,
                    _P.WRITE | _P.NOTIFY,
                    gatt.Characteristic.WRITEABLE | gatt.Characteristic.WRITE_REQUIRES_ENCRYPTION,
                    b"",
                ),
            ],
        )
        self.radio.add_services([info, rrp])
        enforce_permissions(self.radio.gatt_server)
        for characteristic in (self.battery, self.status):
            characteristic.on(
                characteristic.EVENT_SUBSCRIPTION,
                lambda _bearer, notify, _indicate, subscribed=characteristic: self._on_subscription(
                    subscribed, notify
                ),
            )

    def _served(self, value: Callable[[], bytes]) -> gatt.CharacteristicValue[bytes]:
        """A value read from the device, unless a link fault drops the link on the read
        (`ControlPoint.drops_link`): then the read goes unanswered, and the link with it."""

        async def read(connection: Connection) -> bytes:
            if self.control_point.drops_link():
                with contextlib.suppress(hci.HCI_Error):
                    await connection.disconnect()
                raise asyncio.CancelledError
            return value()

        return gatt.CharacteristicValue(read=read)

    # --- advertising ------------------------------------------------------------------

    def advertisement(self) -> Advertisement:
        return Advertisement(name=self.device.name, pairing_state=self.device.pairing_state)

    async def start(self) -> None:
        await self.radio.power_on()
        await self._advertise()

    async def _advertise(self) -> None:
        """On air while the device has no link and advertises (its advertising window,
        where the profile gives it one, is open); off otherwise."""
        advertisement = self.advertisement()
        key = (advertisement.pairing_state,)
        wanted = self.connection is None and self.device.advertising
        if self.radio.is_advertising:
            if wanted and key == self._advertised:
                return
            await self.radio.stop_advertising()
        self._advertised = key
        if not wanted:
            return
        interval = self.device.profile.advertising_interval_ms
        await self.radio.start_advertising(
            advertising_data=advertisement.advertising_data(),
            scan_response_data=advertisement.scan_response_data(),
            advertising_interval_min=interval,
            advertising_interval_max=interval,
            own_address_type=hci.OwnAddressType.RANDOM,
        )

    # --- connection -------------------------------------------------------------------

    def _on_connection(self, connection: Connection) -> None:
        self.connection = connection
        self.control_point.reset()
        self._notified = {
            str(self.battery.uuid): self.device.battery().encode(),
            str(self.status.uuid): self.device.status().encode(),
        }
        peer = str(connection.peer_address)
        connection.on("disconnection", lambda _reason: self._on_disconnection())
        connection.on("pairing", lambda _keys: self.device.bonded(peer))

    def _on_disconnection(self) -> None:
        self.connection = None
        if self._on_device_change not in self.device.listeners:
            return
        self._advertised = None
        self._spawn(self._advertise())

    async def stop(self) -> None:
        """Switch the device off the air: no advertising, no link, no listeners."""
        self.device.listeners.remove(self._on_device_change)
        if self.radio.is_advertising:
            await self.radio.stop_advertising()
        await self.disconnect()
        for task in list(self._tasks):
            task.cancel()

    async def disconnect(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(hci.HCI_Error):
                await self.connection.disconnect()

    async def settled(self) -> None:
        """Return once the radio shows every change of the device so far (advertising
        again after a disconnection, new advertising data, notifications), as
        `BlessPeripheral.settled` does on BlueZ."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_device_change(self) -> None:
        self._spawn(self._after_change())

    async def _after_change(self) -> None:
        if not self.device.bonds:
            await self.keystore.delete_all()
        await self._advertise()
        connection = self.connection
        if connection is None or not connection.is_encrypted:
            return
        if self.device.link_fault(LinkFault.DROP_NOTIFICATIONS):
            return
        with contextlib.suppress(Exception):
            await self.radio.notify_subscriber(
                connection, self.battery, self.device.battery().encode()
            )
            await self.radio.notify_subscriber(
                connection, self.status, self.device.status().encode()
            )

    def _on_subscription(self, characteristic: gatt.Characteristic[bytes], notify: bool) -> None:
        """The current value at once, where the profile's `notify_on_subscribe` asks
        for it; it follows the configuration write's response."""
        if notify and self.device.profile.behaviour.notify_on_subscribe:
            self._spawn(self._notify_current(characteristic))

    async def _notify_current(self, characteristic: gatt.Characteristic[bytes]) -> None:
        connection = self.connection
        if connection is None or not connection.is_encrypted:
            return
        if self.device.link_fault(LinkFault.DROP_NOTIFICATIONS):
            return
        value = self.device.battery() if characteristic is self.battery else self.device.status()
        with contextlib.suppress(Exception):
            await self.radio.notify_subscriber(connection, characteristic, value.encode())

    # --- SCP --------------------------------------------------------------------------

    def _on_scp_write(self, connection: Connection, value: bytes) -> None:
        """Accept the write whatever it holds; the SCP answer, if any, follows as a
        notification. Were the model to raise here, bumble would send no ATT response
        at all, so a model error is logged and left unanswered, as a device ignores a
        request it cannot handle."""
        try:
            reply = self.control_point.write(value)
        except Exception:
            log.exception("%s failed on the SCP write %s", self.device.name, bytes(value).hex())
            return
        if reply is None:
            return
        if reply.disconnect:
            self._spawn(self.disconnect())
            return
        asyncio.get_running_loop().call_later(
            reply.delay, lambda: self._spawn(self._notify_answer(connection, reply.wire))
        )

    async def _notify_answer(self, connection: Connection, wire: bytes) -> None:
        size = max(3, connection.att_mtu - 3)
        with contextlib.suppress(Exception):
            for piece in fragment(wire, size):
                await self.radio.notify_subscriber(connection, self.scp, piece)
