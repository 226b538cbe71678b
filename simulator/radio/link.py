"""A bumble virtual radio that scales to a thousand advertisers and keeps the air's rules.

Stock bumble (0.0.236) gets four things wrong for a test radio, all read from
`bumble/link.py`, `bumble/controller.py` and `bumble/device.py`:

* `LocalLink.send_advertising_pdu` queues every advertisement for every other
  controller, and every `LegacyAdvertiser` runs a timer whether or not anyone
  listens. The cost grows with the square of the device count.
* `Controller.on_advertising_pdu` answers every advertisement with a second
  report typed SCAN_RSP that repeats the advertising data, to passive scanners
  too, so the real scan response data never arrives.
* Advertising and scan response data longer than the 31 legacy bytes are taken,
  and RSSI is a constant -50.
* `Device.on_pairing` and `Device.on_connection_encryption_change` set
  `connection.authenticated` for any pairing and any LE encryption, Just Works
  included, so READ_REQUIRES_AUTHENTICATION protects nothing.

Also fixed here because tests trip on them: LE Create Connection Cancel leaves
the controller initiating forever (so a connect timeout hangs bumble's
`Device.connect_le`), a Disconnect of a link that is already gone is answered
"pending" and never completed (so bumble's `Device.disconnect` waits forever), an
encryption change is reported for a link dropped while encryption started, a
controller that leaves the link leaves its peers connected, and the advertising
interval is read as milliseconds although HCI gives it in units of 0.625 ms.

The fixes sit where the real split of duties puts them: air and controller rules
in `VirtualLink` and `VirtualController`; the authentication level, which a real
controller never knows (it only sees an LTK), in the host, `VirtualDevice`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Callable
from typing import Any

from bumble import core, hci, ll, smp
from bumble.controller import Connection as LinkConnection
from bumble.controller import Controller, LegacyAdvertiser
from bumble.device import Connection, Device
from bumble.host import Host
from bumble.keys import PairingKeys
from bumble.link import LocalLink
from bumble.snoop import Snooper
from bumble.transport.common import AsyncPipeSink, TransportSink

logger = logging.getLogger(__name__)

DEFAULT_RSSI = -50
LEGACY_ADVERTISING_DATA_LIMIT = 31
"""Bytes of advertising or scan response data a legacy PDU carries (Core Vol 6, Part B, 2.3.1)."""

MAX_PENDING_REPORTS = 64
"""Advertising reports queued for a host before the controller drops new ones, as a
real controller does when its event buffers are full. Without it, a thousand
devices at 20 ms bury a scanning host under 100,000 reports a second."""

MAX_HOST_BACKLOG_BYTES = 64 * 1024
"""Bytes waiting on a socket to a remote host before advertising reports are dropped."""

ADV_DELAY_MAX = 0.010
"""Seconds of random delay added to each advertising event (advDelay, Core Vol 6, Part B,
4.4.2.2.1). Without it, advertisers lock in phase and a congested scanner keeps
missing the same ones."""

_SLOT_SECONDS = 0.000625
_ACTIVE_SCANNING = hci.HCI_LE_Set_Scan_Parameters_Command.ACTIVE_SCANNING
_REPORT = hci.HCI_LE_Advertising_Report_Event
_CONNECTION_TIMEOUT = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR
_LEGACY_ONLY_MASK = ~(
    hci.LeFeatureMask.LE_EXTENDED_ADVERTISING | hci.LeFeatureMask.LE_PERIODIC_ADVERTISING
)


class VirtualAdvertiser(LegacyAdvertiser):
    """Legacy advertising that costs nothing while nobody listens.

    Advertising events keep their phase (start time plus whole intervals), so a
    scanner that appears later sees the first event when it would have on air,
    but no timer runs while no controller scans or initiates. Like bumble's,
    it puts only connectable undirected advertising (ADV_IND) on air.
    """

    controller: VirtualController
    _anchor: float = 0.0

    @property
    def interval(self) -> float:
        """Seconds between advertising events (HCI gives 0.625 ms units)."""
        return max(self.advertising_interval_min, 0x20) * _SLOT_SECONDS

    def start(self) -> None:
        self.stop()
        self.enabled = True
        self._anchor = asyncio.get_running_loop().time()
        self.controller.link.advertiser_started(self)

    def stop(self) -> None:
        if self.timer_handle is not None:
            self.timer_handle.cancel()
            self.timer_handle = None
        if self.enabled:
            self.enabled = False
            self.controller.link.advertiser_stopped(self)

    def wake(self) -> None:
        """Schedule the next advertising event on this advertiser's own phase."""
        if not self.enabled or self.timer_handle is not None:
            return
        loop = asyncio.get_running_loop()
        interval = self.interval
        events = math.ceil((loop.time() - self._anchor) / interval)
        self.timer_handle = loop.call_at(self._anchor + events * interval, self._on_event)

    def _on_event(self) -> None:
        self.timer_handle = None
        if not self.enabled or not self.controller.link.has_listeners:
            return
        self.send_advertising_data()
        # The PDU may have led to a connection, which stops this advertiser.
        if self.enabled:
            loop = asyncio.get_running_loop()
            delay = self.interval + random.uniform(0.0, ADV_DELAY_MAX)
            self.timer_handle = loop.call_later(delay, self._on_event)


class VirtualController(Controller):
    """A legacy-only LE controller with real scan responses, RSSI and the 31-byte limit."""

    link: VirtualLink
    le_legacy_advertiser: VirtualAdvertiser

    def __init__(self, name: str, link: VirtualLink, address: hci.Address | None = None) -> None:
        super().__init__(name, link=link)
        self.le_features = hci.LeFeatureMask(self.le_features & _LEGACY_ONLY_MASK)
        self.le_legacy_advertiser = VirtualAdvertiser(self)
        self._reported: set[tuple[bytes, bytes, bytes, int]] = set()
        self._pending_reports = 0
        self.host_backlog: Callable[[], int] = lambda: 0
        """Bytes queued towards the host; the HCI server points this at its socket."""
        self.snooper: Snooper | None = None
        """Sees every HCI packet between this controller and its host (simulator.radio.snoop)."""
        if address is not None:
            self.random_address = address

    @property
    def listening(self) -> bool:
        """Whether advertising reaches this controller: it scans or initiates."""
        return self.le_scan_enable or self.pending_le_connection is not None

    # --- host side -----------------------------------------------------------------

    def on_packet(self, packet: bytes) -> None:
        if self.snooper is not None:
            self.snooper.snoop(packet, Snooper.Direction.HOST_TO_CONTROLLER)
        super().on_packet(packet)

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        host = self.host
        if host is not None:
            data = bytes(packet)
            if self.snooper is not None:
                self.snooper.snoop(data, Snooper.Direction.CONTROLLER_TO_HOST)
            asyncio.get_running_loop().call_soon(host.on_packet, data)

    def _deliver_report(self, host: TransportSink, packet: bytes) -> None:
        self._pending_reports -= 1
        host.on_packet(packet)

    # --- advertising, scanning, initiating -----------------------------------------

    def _reject_long(self, data: bytes) -> hci.HCI_StatusReturnParameters | None:
        if len(data) > LEGACY_ADVERTISING_DATA_LIMIT:
            return hci.HCI_StatusReturnParameters(
                hci.HCI_ErrorCode.INVALID_COMMAND_PARAMETERS_ERROR
            )
        return None

    def on_hci_le_set_advertising_data_command(
        self, command: hci.HCI_LE_Set_Advertising_Data_Command
    ) -> hci.HCI_StatusReturnParameters:
        rejected = self._reject_long(command.advertising_data)
        if rejected is not None:
            return rejected
        result: hci.HCI_StatusReturnParameters = super().on_hci_le_set_advertising_data_command(
            command
        )
        return result

    def on_hci_le_set_scan_response_data_command(
        self, command: hci.HCI_LE_Set_Scan_Response_Data_Command
    ) -> hci.HCI_StatusReturnParameters:
        rejected = self._reject_long(command.scan_response_data)
        if rejected is not None:
            return rejected
        result: hci.HCI_StatusReturnParameters = super().on_hci_le_set_scan_response_data_command(
            command
        )
        return result

    def on_hci_le_set_scan_enable_command(
        self, command: hci.HCI_LE_Set_Scan_Enable_Command
    ) -> hci.HCI_StatusReturnParameters:
        result: hci.HCI_StatusReturnParameters = super().on_hci_le_set_scan_enable_command(command)
        self._reported.clear()
        self.link.listening_changed(self)
        return result

    def on_hci_le_create_connection_command(
        self, command: hci.HCI_LE_Create_Connection_Command
    ) -> None:
        super().on_hci_le_create_connection_command(command)
        self.link.listening_changed(self)

    def on_hci_le_create_connection_cancel_command(
        self, command: hci.HCI_LE_Create_Connection_Cancel_Command
    ) -> hci.HCI_StatusReturnParameters:
        """Stop initiating and say so, as the spec requires (bumble does neither)."""
        pending = self.pending_le_connection
        if pending is None:
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        self.pending_le_connection = None
        self.link.listening_changed(self)
        self.send_hci_packet(
            hci.HCI_LE_Connection_Complete_Event(
                status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR,
                connection_handle=0,
                role=hci.Role.CENTRAL,
                peer_address_type=pending.peer_address.address_type,
                peer_address=pending.peer_address,
                connection_interval=0,
                peripheral_latency=0,
                supervision_timeout=0,
                central_clock_accuracy=0,
            )
        )
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

    def on_hci_disconnect_command(self, command: hci.HCI_Disconnect_Command) -> None:
        """Refuse to disconnect a handle that has no link, as a real controller does
        (Unknown Connection Identifier): the link may have just been dropped by the peer."""
        handle = command.connection_handle
        if (
            self.find_le_connection_by_handle(handle) is None
            and self.find_classic_connection_by_handle(handle) is None
            and self.find_classic_sco_link_by_handle(handle) is None
            and handle not in self.central_cis_links
            and handle not in self.peripheral_cis_links
        ):
            self._send_hci_command_status(
                hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR, command.op_code
            )
            return
        super().on_hci_disconnect_command(command)

    def on_le_encryption_change(self, connection: LinkConnection, status: int) -> None:
        """Report nothing about a link that is gone. bumble's controller completes an
        encryption start it scheduled (`_le_long_term_key_request_response`) even if
        the link dropped meanwhile, and its host fails on an event for a handle it no
        longer knows."""
        if self.le_connections.get(connection.peer_address) is connection:
            super().on_le_encryption_change(connection, status)

    def create_le_connection(self, peer_address: hci.Address) -> None:
        super().create_le_connection(peer_address)
        self.link.listening_changed(self)

    def on_advertising_pdu(self, pdu: ll.AdvInd | ll.AdvExtInd) -> None:
        advertiser = pdu.advertiser_address
        if self.le_scan_enable:
            self._report(advertiser, pdu.data)
        pending = self.pending_le_connection
        if pending is not None and pending.peer_address == advertiser:
            self.create_le_connection(advertiser)

    def _report(self, advertiser: hci.Address, data: bytes) -> None:
        """Report what a real scanner would: the advertising data, then, to an active
        scanner only, the advertiser's own scan response, each at the advertiser's RSSI.

        The two reports travel in one event, so a congested host gets both or neither.
        With duplicate filtering on, an advertiser is reported again only when its
        data or RSSI changed, which is what bleak's BlueZ backend passes on too.
        """
        host = self.host
        if host is None:
            return
        if (
            self._pending_reports >= MAX_PENDING_REPORTS
            or self.host_backlog() > MAX_HOST_BACKLOG_BYTES
        ):
            return
        active = self.le_scan_type == _ACTIVE_SCANNING
        scan_response = self.link.scan_response(advertiser) if active else b""
        rssi = self.link.rssi(advertiser)
        if self.filter_duplicates:
            key = (advertiser.address_bytes, data, scan_response, rssi)
            if key in self._reported:
                return
            self._reported.add(key)
        reports = [
            _REPORT.Report(
                event_type=_REPORT.EventType.ADV_IND,
                address_type=advertiser.address_type,
                address=advertiser,
                data=data,
                rssi=rssi,
            )
        ]
        if active:
            reports.append(
                _REPORT.Report(
                    event_type=_REPORT.EventType.SCAN_RSP,
                    address_type=advertiser.address_type,
                    address=advertiser,
                    data=scan_response,
                    rssi=rssi,
                )
            )
        packet = bytes(_REPORT(reports))
        if self.snooper is not None:
            self.snooper.snoop(packet, Snooper.Direction.CONTROLLER_TO_HOST)
        self._pending_reports += 1
        asyncio.get_running_loop().call_soon(self._deliver_report, host, packet)


class VirtualDevice(Device):
    """A bumble Device whose links count as authenticated only after MITM pairing.

    bumble marks a link authenticated on any pairing and on any LE encryption.
    Which key encrypted a link, and whether that key came from a MITM-protected
    pairing, is host knowledge (the controller only ever sees an LTK), so the
    fix lives here: while an SMP session runs, its pairing method decides; on a
    bonded re-encryption, the stored key's `authenticated` flag does.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._encryption_keys: dict[int, PairingKeys | None] = {}

    async def encrypt(self, connection: Connection, enable: bool = True) -> None:
        if self.keystore is not None:
            keys = await self.keystore.get(str(connection.peer_address))
            self._encryption_keys[connection.handle] = keys
        await super().encrypt(connection, enable)

    async def get_long_term_key(
        self, connection_handle: int, rand: bytes, ediv: int
    ) -> bytes | None:
        connection = self.lookup_connection(connection_handle)
        if connection is not None and self.keystore is not None:
            keys = await self.keystore.get(str(connection.peer_address))
            self._encryption_keys[connection_handle] = keys
        ltk: bytes | None = await super().get_long_term_key(connection_handle, rand, ediv)
        return ltk

    def on_pairing(
        self,
        connection: Connection,
        identity_address: hci.Address | None,
        keys: PairingKeys,
        sc: bool,
    ) -> None:
        # Same as Device.on_pairing, except for the authenticated flag.
        if identity_address is not None:
            connection.peer_resolvable_address = connection.peer_address
            connection.peer_address = identity_address
        connection.sc = sc
        connection.authenticated = _mitm_protected(keys)
        connection.emit(connection.EVENT_PAIRING, keys)

    def on_connection_encryption_change(
        self, connection_handle: int, encryption: int, encryption_key_size: int
    ) -> None:
        connection = self.lookup_connection(connection_handle)
        keys = self._encryption_keys.pop(connection_handle, None)
        if connection is None or connection.transport != core.PhysicalTransport.LE:
            super().on_connection_encryption_change(
                connection_handle, encryption, encryption_key_size
            )
            return
        connection.encryption = encryption
        connection.encryption_key_size = encryption_key_size
        session = self.smp_manager.sessions.get(connection_handle)
        if not encryption:
            connection.authenticated = False
        elif session is not None:
            connection.authenticated = session.pairing_method != smp.PairingMethod.JUST_WORKS
            connection.sc = session.sc
        elif keys is not None:
            connection.authenticated = _mitm_protected(keys)
            connection.sc = keys.ltk is not None
        connection.emit(connection.EVENT_CONNECTION_ENCRYPTION_CHANGE)


def _mitm_protected(keys: PairingKeys | None) -> bool:
    if keys is None:
        return False
    key = keys.ltk or keys.ltk_central or keys.ltk_peripheral
    return key is not None and key.authenticated


class VirtualLink(LocalLink):
    """One shared virtual radio: advertising reaches only controllers that listen."""

    controllers: set[Controller]

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._rssi: dict[hci.Address, int] = {}
        self._by_address: dict[bytes, Controller] = {}
        self._listeners: set[VirtualController] = set()
        self._advertising: set[VirtualController] = set()
        self._devices: dict[int, VirtualController] = {}
        self._out_of_range: set[bytes] = set()
        """Addresses out of everyone's range: by address, so a device switched off and on
        again away from the others is still away."""

    # --- rules of the air ----------------------------------------------------------

    def set_rssi(self, address: hci.Address | str, rssi: int) -> None:
        """The RSSI every scanner reports for this advertiser from now on."""
        self._rssi[_address(address)] = rssi

    def rssi(self, address: hci.Address) -> int:
        return self._rssi.get(address, DEFAULT_RSSI)

    def scan_response(self, address: hci.Address) -> bytes:
        """What the advertiser at `address` answers a scan request with."""
        sender = self.find_le_controller(address)
        if sender is None:
            return b""
        return bytes(sender.le_legacy_advertiser.scan_response_data)

    def in_range(self, address: hci.Address | str) -> bool:
        return _address(address).address_bytes not in self._out_of_range

    def _reachable(self, controller: Controller) -> bool:
        return not self._out_of_range or all(
            address.address_bytes not in self._out_of_range
            for address in (controller.public_address, controller.random_address)
        )

    def leave_range(self, address: hci.Address | str) -> None:
        """The device at `address` goes out of everyone's range. Its links end as a
        supervision timeout ends them, on both sides and with no LL_TERMINATE_IND
        (HCI reason 0x08, Connection Timeout), and from now on nothing it sends is
        heard, and it hears nothing, until `return_to_range`."""
        key = _address(address).address_bytes
        self._out_of_range.add(key)
        controller = self._by_address.get(key)
        if controller is None:
            return
        if isinstance(controller, VirtualController):
            self._listeners.discard(controller)
        connections: list[LinkConnection] = list(controller.le_connections.values())
        self._time_out_at_peers(connections)
        for connection in connections:
            controller.on_le_disconnected(connection, _CONNECTION_TIMEOUT)

    def return_to_range(self, address: hci.Address | str) -> None:
        """The device at `address` is within everyone's range again: its advertising
        is heard from its next advertising event on."""
        key = _address(address).address_bytes
        self._out_of_range.discard(key)
        controller = self._by_address.get(key)
        if isinstance(controller, VirtualController):
            self.listening_changed(controller)
            if controller in self._advertising and self._listeners:
                controller.le_legacy_advertiser.wake()

    @property
    def has_listeners(self) -> bool:
        return bool(self._listeners)

    def listening_changed(self, controller: VirtualController) -> None:
        """A controller started or stopped scanning or initiating."""
        was_quiet = not self._listeners
        listening = controller.listening and controller in self.controllers
        if listening and self._reachable(controller):
            self._listeners.add(controller)
        else:
            self._listeners.discard(controller)
        if was_quiet and self._listeners:
            for controller in self._advertising:
                controller.le_legacy_advertiser.wake()

    def advertiser_started(self, advertiser: VirtualAdvertiser) -> None:
        self._advertising.add(advertiser.controller)
        if self._listeners:
            advertiser.wake()

    def advertiser_stopped(self, advertiser: VirtualAdvertiser) -> None:
        self._advertising.discard(advertiser.controller)

    # --- LocalLink -----------------------------------------------------------------

    def add_controller(self, controller: Controller) -> None:
        super().add_controller(controller)
        self.on_address_changed(controller)

    def remove_controller(self, controller: Controller) -> None:
        """Take a controller off the air: its peers see a supervision timeout."""
        if controller not in self.controllers:
            return
        super().remove_controller(controller)
        for key in [k for k, c in self._by_address.items() if c is controller]:
            del self._by_address[key]
        if isinstance(controller, VirtualController):
            self._listeners.discard(controller)
            controller.le_legacy_advertiser.stop()
            controller.pending_le_connection = None
            controller.le_scan_enable = False
        connections: list[LinkConnection] = list(controller.le_connections.values())
        controller.le_connections.clear()
        self._time_out_at_peers(connections)

    def _time_out_at_peers(self, connections: list[LinkConnection]) -> None:
        """The far end of each of these links sees a supervision timeout."""
        for connection in connections:
            peer = self.find_le_controller(connection.peer_address)
            if peer is None:
                continue
            peer_connection = peer.le_connections.get(connection.self_address)
            if peer_connection is not None:
                peer.on_le_disconnected(peer_connection, _CONNECTION_TIMEOUT)

    def on_address_changed(self, controller: Controller) -> None:
        for key in [k for k, c in self._by_address.items() if c is controller]:
            del self._by_address[key]
        for address in (controller.public_address, controller.random_address):
            if address.address_bytes != bytes(6):
                self._by_address[address.address_bytes] = controller

    def find_le_controller(self, address: hci.Address) -> Controller | None:
        return self._by_address.get(address.address_bytes)

    def send_advertising_pdu(
        self, sender_controller: Controller, packet: ll.AdvertisingPdu
    ) -> None:
        if not self._reachable(sender_controller):
            return
        if isinstance(packet, ll.ConnectInd):
            # Delivered at once, so that the advertiser and the initiator agree on
            # the connection before either host hears of it.
            target = self.find_le_controller(packet.advertiser_address)
            if target is not None and self._reachable(target):
                target.on_ll_advertising_pdu(packet)
            return
        # Delivered at once (not queued per listener as LocalLink does): a listener
        # that connects or stops scanning changes the set, hence the copy.
        for listener in tuple(self._listeners):
            if listener is not sender_controller:
                listener.on_ll_advertising_pdu(packet)

    def send_ll_control_pdu(
        self, sender_address: hci.Address, receiver_address: hci.Address, packet: ll.ControlPdu
    ) -> None:
        """Like air, lose what is sent to a controller that has gone."""
        receiver = self.find_le_controller(receiver_address)
        if receiver is not None and self.in_range(sender_address) and self._reachable(receiver):
            asyncio.get_running_loop().call_soon(receiver.on_ll_control_pdu, sender_address, packet)

    def send_acl_data(
        self,
        sender_controller: Controller,
        destination_address: hci.Address,
        transport: core.PhysicalTransport,
        data: bytes,
    ) -> None:
        """Like air, carry nothing to or from a device out of range."""
        if self._reachable(sender_controller) and self.in_range(destination_address):
            super().send_acl_data(sender_controller, destination_address, transport, data)

    # --- devices -------------------------------------------------------------------

    def add_device(self, name: str, address: hci.Address | str | None = None) -> VirtualDevice:
        """A bumble Device on a fresh controller of this link, at a random static address.

        Each call without an address draws a new one, so no bond or cached GATT
        table can leak from one test into the next.
        """
        own = _address(address) if address is not None else random_static_address()
        controller = VirtualController(name, self, own)
        host = Host(controller, AsyncPipeSink(controller))
        device = VirtualDevice(name=name, address=own, host=host)
        self._devices[id(device)] = controller
        return device

    def remove_device(self, device: Device) -> None:
        """Take a device made by `add_device` off the air, dropping its links."""
        controller = self._devices.pop(id(device), None)
        if controller is not None:
            self.remove_controller(controller)

    def controller_of(self, device: Device) -> VirtualController:
        """The controller under a device made by `add_device` (for snooping, say)."""
        return self._devices[id(device)]


def _address(address: hci.Address | str) -> hci.Address:
    if isinstance(address, hci.Address):
        return address
    return hci.Address(address, hci.Address.RANDOM_DEVICE_ADDRESS)


def random_static_address() -> hci.Address:
    """A fresh random static address (two top bits set)."""
    return hci.Address.generate_static_address()
