"""bleak client backend on the radio's central: real ATT, GATT and SMP through bumble."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from bleak.args import SizedBuffer
from bleak.assigned_numbers import CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bleak.exc import BleakGATTProtocolErrorCode as ProtocolCode
from bleak.uuids import normalize_uuid_str
from bumble import core, gatt, hci
from bumble.att import ATT_Error
from bumble.device import Advertisement, Connection, Peer
from bumble.gatt_client import CharacteristicProxy, ServiceProxy

from harness.bleak_backend.radio import LINK_ERRORS, PREFERRED_MTU, ClientRadio, current, drop
from harness.bleak_backend.uuids import bleak_uuid

_P = gatt.Characteristic.Properties
_PROPERTIES: dict[int, CharacteristicPropertyName] = {
    _P.BROADCAST: "broadcast",
    _P.READ: "read",
    _P.WRITE_WITHOUT_RESPONSE: "write-without-response",
    _P.WRITE: "write",
    _P.NOTIFY: "notify",
    _P.INDICATE: "indicate",
    _P.AUTHENTICATED_SIGNED_WRITES: "authenticated-signed-writes",
    _P.EXTENDED_PROPERTIES: "extended-properties",
}
T = TypeVar("T")
NEEDS_SECURITY = frozenset(
    {ProtocolCode.INSUFFICIENT_ENCRYPTION, ProtocolCode.INSUFFICIENT_AUTHENTICATION}
)
"""The ATT errors on which BlueZ raises the link's security and sends the request again."""


def _protocol_error(error: ATT_Error) -> BleakGATTProtocolError:
    """bleak's own exception for an ATT error response, as its BlueZ backend raises."""
    return BleakGATTProtocolError(error.error_code)


class BumbleClient(BaseBleakClient):
    """A BleakClient backend on the radio's central device.

    Behaves as the BlueZ backend where bleak leaves room: connecting by address
    scans first (BleakDeviceNotFoundError when the device does not show up in
    time), a connect that does not complete in time raises TimeoutError, the MTU
    is exchanged on connect, and a bonded device is re-encrypted on reconnect.
    The disconnected callback fires only for disconnects this client did not ask
    for. A subscription refused for want of encryption pairs on demand and is
    sent again, once (`start_notify`).
    """

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        services: set[str] | None = None,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=disconnected_callback,
            timeout=timeout,
        )
        self._device_name: str | None = None
        self._peer_address: hci.Address | None = None
        if isinstance(address_or_ble_device, BLEDevice):
            self._device_name = address_or_ble_device.name
            details = address_or_ble_device.details
            if isinstance(details, Advertisement):
                self._peer_address = details.address
        self._requested = services
        self._radio: ClientRadio | None = None
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._proxies: dict[int, CharacteristicProxy[bytes]] = {}
        self._subscribers: dict[int, Callable[[bytes], None]] = {}
        self._leaving = False

    # --- state ---------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._device_name or self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        connection = self._connection
        return connection.att_mtu if connection is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    def _require(self) -> tuple[Connection, Peer]:
        if self._connection is None or self._peer is None:
            raise BleakError("Not connected")
        return self._connection, self._peer

    # --- connecting ------------------------------------------------------------------

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        """Connect, set up and (if asked) pair by one deadline, `timeout` from now.

        A connect that fails, times out or is cancelled at any point leaves no link
        behind (`ClientRadio.connect` takes an unfinished attempt back)."""
        if self.is_connected:
            raise BleakError("Client is already connected")
        timeout = float(kwargs.get("timeout", self._timeout))
        radio = self._radio = current()
        deadline = asyncio.get_running_loop().time() + timeout
        if self._peer_address is None:
            self._peer_address = await self._find(timeout)
        try:
            connection = await radio.connect(self._peer_address, deadline)
        except TimeoutError:
            raise TimeoutError(f"connecting to {self.address} timed out") from None
        except LINK_ERRORS as error:
            raise BleakError(f"connecting to {self.address} failed: {error}") from error
        self._leaving = False
        self._connection = connection
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        set_up = radio.keep(self._set_up(connection, radio))
        try:
            async with asyncio.timeout_at(deadline):
                await self._outcome(set_up, "setting up the link")
                if pair:
                    await self.pair()
        except BaseException:
            await self._drop_quietly()
            # What it still waits for went with the link: bumble would wait 30 s for
            # the answer to a request sent after the link dropped.
            set_up.cancel()
            raise

    async def _find(self, timeout: float) -> hci.Address:
        """Scan for the device, as bleak's BlueZ backend does when given an address."""
        from bleak import BleakScanner

        from harness.bleak_backend.scanner import BumbleScanner

        found = await BleakScanner.find_device_by_address(
            self.address, timeout=timeout, backend=BumbleScanner
        )
        if found is None:
            raise BleakDeviceNotFoundError(
                self.address, f"Device with address {self.address} was not found."
            )
        self._device_name = found.name
        advertisement: Advertisement = found.details
        return advertisement.address

    async def _set_up(self, connection: Connection, radio: ClientRadio) -> None:
        if await self._bonded(radio):
            # A peripheral that lost its keys refuses; the link then stays up
            # unencrypted and protected reads fail until pairing, as on BlueZ.
            with contextlib.suppress(*LINK_ERRORS):
                await connection.encrypt()
        peer = self._peer = Peer(connection)
        await peer.request_mtu(PREFERRED_MTU)
        await self._discover(peer)

    async def _discover(self, peer: Peer) -> None:
        requested = {normalize_uuid_str(u) for u in self._requested or ()}
        collection = BleakGATTServiceCollection()
        self._proxies = {}
        self._subscribers = {}
        for service in await peer.discover_services():
            uuid = bleak_uuid(service.uuid)
            if requested and uuid not in requested:
                continue
            await self._add_service(collection, service, uuid)
        self.services = collection

    async def _add_service(
        self, collection: BleakGATTServiceCollection, service: ServiceProxy, uuid: str
    ) -> None:
        bleak_service = BleakGATTService(service, service.handle, uuid)
        collection.add_service(bleak_service)
        for characteristic in await service.discover_characteristics():
            await characteristic.discover_descriptors()
            properties = [
                name for flag, name in _PROPERTIES.items() if characteristic.properties & flag
            ]
            bleak_characteristic = BleakGATTCharacteristic(
                characteristic,
                characteristic.handle,
                bleak_uuid(characteristic.uuid),
                properties,
                lambda: self.mtu_size - 3,
                bleak_service,
            )
            collection.add_characteristic(bleak_characteristic)
            self._proxies[characteristic.handle] = characteristic
            for descriptor in characteristic.descriptors:
                collection.add_descriptor(
                    BleakGATTDescriptor(
                        descriptor,
                        descriptor.handle,
                        bleak_uuid(descriptor.type),
                        bleak_characteristic,
                    )
                )

    def _on_disconnection(self, _reason: int) -> None:
        self._connection = None
        self._peer = None
        self.services = None
        if not self._leaving and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        """Drop the link; TimeoutError if the controller does not confirm it in `timeout`
        (the link is forgotten either way)."""
        connection = self._connection
        if connection is None:
            return
        self._leaving = True
        radio = self._radio or current()
        try:
            async with asyncio.timeout(self._timeout):
                await radio.complete(drop(connection))
        finally:
            self._forget()

    async def _drop_quietly(self) -> None:
        """Drop the link after a failure, keeping that failure the one raised."""
        try:
            await self.disconnect()
        except TimeoutError:
            self._forget()

    def _forget(self) -> None:
        self._connection = None
        self._peer = None
        self.services = None

    def _lose_link_on_timeout(self, connection: Connection, task: asyncio.Task[Any]) -> None:
        """What BlueZ does after an ATT transaction timed out, whether or not anyone
        still waits for it: no further request may use the bearer (Core Vol 3, Part F,
        3.3.3), so the link goes, and the disconnected callback says so."""
        if not task.cancelled() and isinstance(task.exception(), core.TimeoutError):
            (self._radio or current()).keep(drop(connection))

    async def _request(self, operation: Coroutine[Any, Any, T], what: str) -> T:
        """GATT requests on the link, run to their end (`ClientRadio.complete`).

        bumble sends a request on a link that dropped a moment ago, and then waits
        30 s for the answer; so the requests are cancelled with the link."""
        connection, _peer = self._require()
        task = (self._radio or current()).keep(operation)
        connection.cancel_on_disconnection(task)
        task.add_done_callback(lambda done: self._lose_link_on_timeout(connection, done))
        return await self._outcome(task, what)

    async def _outcome(self, task: asyncio.Task[T], what: str) -> T:
        """`task`'s result, as bleak reports errors; a caller that gives up stops waiting
        for the task, not the task (see `ClientRadio.complete`).

        bumble cancels the requests of a link that drops (`Client.on_disconnection`,
        `Connection.cancel_on_disconnection`): a CancelledError the caller did not ask
        for means the link is gone, a BleakError here."""
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            caller = asyncio.current_task()
            if caller is not None and caller.cancelling():
                raise
            raise BleakError(f"{what}: {self.address} disconnected") from None
        except ATT_Error as error:
            raise _protocol_error(error) from error
        except core.TimeoutError as error:
            raise TimeoutError(f"{what}: {self.address} did not answer") from error
        except LINK_ERRORS as error:
            raise BleakError(f"{what} failed: {error}") from error

    # --- pairing ---------------------------------------------------------------------

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Pair and bond; `passkey=123456` types that passkey if the peripheral asks.

        Like BlueZ, pairing an already bonded, encrypted link does nothing.
        """
        connection, _peer = self._require()
        radio = self._radio or current()
        if connection.is_encrypted and await self._bonded(radio):
            return
        radio.use_passkey(connection, kwargs.get("passkey"))
        try:
            await self._outcome(radio.keep(connection.pair()), f"Pairing with {self.address}")
        finally:
            radio.use_passkey(connection, None)

    def _bond_names(self) -> list[str]:
        """bumble files keys under the peer's identity address, with /P when it is public."""
        names = [self.address.upper()]
        if self._peer_address is not None:
            names.insert(0, str(self._peer_address))
        return names

    async def _bonded(self, radio: ClientRadio) -> bool:
        for name in self._bond_names():
            if await radio.keystore.get(name) is not None:
                return True
        return False

    async def unpair(self) -> None:
        """Forget the bond and disconnect, as bleak documents."""
        radio = self._radio or current()
        for name in self._bond_names():
            if await radio.keystore.get(name) is not None:
                await radio.keystore.delete(name)
        await self.disconnect()

    # --- GATT --------------------------------------------------------------------------

    def _proxy(self, characteristic: BleakGATTCharacteristic) -> CharacteristicProxy[bytes]:
        self._require()
        return self._proxies[characteristic.handle]

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        proxy = self._proxy(characteristic)
        return bytearray(await self._request(proxy.read_value(), f"reading {proxy.uuid}"))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        _connection, peer = self._require()
        value = await self._request(
            peer.read_value(descriptor.handle), f"reading descriptor {descriptor.handle}"
        )
        return bytearray(value)

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        proxy = self._proxy(characteristic)
        await self._request(
            proxy.write_value(bytes(data), with_response=response), f"writing {proxy.uuid}"
        )

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        _connection, peer = self._require()
        await self._request(
            peer.write_value(descriptor.handle, bytes(data), with_response=True),
            f"writing descriptor {descriptor.handle}",
        )

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        proxy = self._proxy(characteristic)

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        async def subscribe() -> None:
            previous = self._subscribers.pop(characteristic.handle, None)
            if previous is not None:
                await proxy.unsubscribe(previous)
            self._subscribers[characteristic.handle] = on_value
            await proxy.subscribe(on_value, prefer_notify=True)

        what = f"subscribing to {proxy.uuid}"
        try:
            await self._request(subscribe(), what)
        except BleakGATTProtocolError as refused:
            if refused.code not in NEEDS_SECURITY:
                raise
            await self._secure(refused)
            await self._request(proxy.subscribe(on_value, prefer_notify=True), what)

    async def _secure(self, refused: BleakGATTProtocolError) -> None:
        """What BlueZ does when a request is refused for want of encryption (its ATT
        layer's `change_security`): raise the link's security, encrypting with the
        bond's keys or, without a bond, pairing; if that fails, the request fails
        with the error it got. Only subscriptions do this here: a read or write still
        raises at once (docs/bleak-backend.md), which `IqosClient.is_paired` relies on."""
        connection, _peer = self._require()
        radio = self._radio or current()
        if await self._bonded(radio):
            with contextlib.suppress(BleakError):
                await self._outcome(radio.keep(connection.encrypt()), f"encrypting {self.address}")
        if connection.is_encrypted:
            return
        try:
            await self.pair()
        except BleakError as failed:
            raise refused from failed

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        proxy = self._proxy(characteristic)
        self._subscribers.pop(characteristic.handle, None)
        await self._request(proxy.unsubscribe(force=True), f"unsubscribing from {proxy.uuid}")
